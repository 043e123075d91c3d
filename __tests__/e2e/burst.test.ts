/**
 * A burst of many more queries than Athena's active-query quota: the state machine's throttling retry (the
 * synthesized policy, timed as Step Functions times it) absorbs it. None is lost and every caller gets its callback.
 *
 * Everything happens on the twin clock: the submissions arrive at one twin instant, each query runs 2 s of twin time,
 * retries wait their jittered backoff from a seeded generator. The burst is run twice with the same seeds, and both
 * runs must tell the same story to the millisecond: nothing in it depends on the machine's speed or load.
 */
import type { ExecutionRecord } from '../../twin/step-functions/state-machine-runner';
import { REAL_TIME_GUARD_MS, SAMPLE_QUERY, seededRandom, startWorld, type World } from './harness';

const QUOTA = 4;
const SUBMISSIONS = 80;
/** Twin seconds each query stays RUNNING. */
const QUERY_SECONDS = 2;
const JITTER_SEED = 8080;

interface BurstRun {
  readonly executions: readonly ExecutionRecord[];
  readonly delivered: number;
  readonly deliveredPaths: number;
  readonly succeededCallbacks: number;
  readonly throttledStarts: number;
  readonly peakActiveQueries: number;
  readonly deadLetters: number;
  /** Twin milliseconds from the submissions to the last callback. */
  readonly makespanMs: number;
  /** Twin milliseconds at which each query's callback arrived, by submission. */
  readonly callbackAtMs: readonly number[];
}

async function runBurst(): Promise<BurstRun> {
  let world: World | undefined;
  try {
    world = await startWorld({
      athena: { activeQueryQuota: QUOTA, timing: { minimumRunningMs: QUERY_SECONDS * 1000 } },
      random: seededRandom(JITTER_SEED),
    });
    const w = world;
    const submittedAt = w.clock.now();
    // One after another in real time, at the same twin instant: a burst, in a fixed order.
    const arns: string[] = [];
    for (let i = 0; i < SUBMISSIONS; i++) arns.push(await w.submit(`${SAMPLE_QUERY} -- burst ${i}`, w.receiver.url(`/burst/${i}`)));
    const executions = await Promise.all(arns.map((arn) => w.twin.stateMachine.waitFor(arn)));
    const delivered = w.receiver.deliveries.filter((d) => d.acknowledged);
    const callbackAtMs = Array.from({ length: SUBMISSIONS }, (_, i) => (delivered.find((d) => d.path === `/burst/${i}`)?.receivedAt ?? Number.NaN) - submittedAt);
    return {
      executions,
      delivered: delivered.length,
      deliveredPaths: new Set(delivered.map((d) => d.path)).size,
      succeededCallbacks: delivered.filter((d) => (d.payload as { State: { State: string } }).State.State === 'SUCCEEDED').length,
      throttledStarts: w.twin.athena.throttledStarts,
      peakActiveQueries: w.twin.athena.peakActiveQueries,
      deadLetters: w.twin.deadLetters.sent.length,
      makespanMs: Math.max(...callbackAtMs),
      callbackAtMs,
    };
  } finally {
    await world?.close();
  }
}

let first: BurstRun;
let replay: BurstRun;

// Real time is only a guard against a broken twin here: on a loaded machine two runs can take minutes.
beforeAll(async () => {
  first = await runBurst();
  replay = await runBurst();
  process.stdout.write(
    `burst: ${SUBMISSIONS} queries of ${QUERY_SECONDS} s, quota ${QUOTA}: ${first.delivered} callbacks delivered, ${first.throttledStarts} throttled starts retried, ` +
      `peak ${first.peakActiveQueries} active queries, ${first.deadLetters} dead letters, last callback after ${first.makespanMs / 1000} s of twin time\n` +
      // One line, for .ci/e2e-under-load to compare with the run under load.
      `burst tally: ${JSON.stringify({ ...first, executions: first.executions.length, callbackAtMs: undefined })}\n`,
  );
}, REAL_TIME_GUARD_MS);

describe('e2e: burst beyond the Athena quota', () => {
  it(`delivers a SUCCEEDED callback for each of ${SUBMISSIONS} queries submitted at once against a quota of ${QUOTA}`, () => {
    // GIVEN a burst far beyond the quota (beforeAll)
    // THEN
    expect(first.executions.map((e) => e.status)).toEqual(Array(SUBMISSIONS).fill('SUCCEEDED'));
    expect(first.deliveredPaths).toBe(SUBMISSIONS);
    expect(first.delivered).toBe(SUBMISSIONS);
    expect(first.succeededCallbacks).toBe(SUBMISSIONS);
    expect(first.deadLetters).toBe(0);
  });

  it('never runs more queries at once than the quota, and was throttled on the way', () => {
    // THEN
    expect(first.peakActiveQueries).toBeLessThanOrEqual(QUOTA);
    expect(first.throttledStarts).toBeGreaterThan(0);
  });

  it(`takes at least ⌈${SUBMISSIONS} / ${QUOTA}⌉ x ${QUERY_SECONDS} s of twin time, what the quota allows at best`, () => {
    // THEN
    expect(first.makespanMs).toBeGreaterThanOrEqual(Math.ceil(SUBMISSIONS / QUOTA) * QUERY_SECONDS * 1000);
  });

  it('tells the same story when replayed with the same seeds: counts and every callback time', () => {
    // GIVEN a second burst with the same seeds (beforeAll)
    // THEN
    const summary = (run: BurstRun): unknown => ({ ...run, executions: run.executions.map((e) => [e.status, e.events.length, e.stopDate!.getTime() - e.startDate.getTime()]) });
    expect(summary(replay)).toEqual(summary(first));
  });
});
