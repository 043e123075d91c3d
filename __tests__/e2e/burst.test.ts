/**
 * A burst of many more queries than Athena's active-query quota: the state machine's throttling retry absorbs it.
 * None is lost and every caller gets its callback.
 */
import type { ExecutionRecord } from '../../twin/step-functions/state-machine-runner';
import { SAMPLE_QUERY, startWorld, within, type World } from './harness';

const QUOTA = 4;
const SUBMISSIONS = 80;

let world: World;
let executions: ExecutionRecord[];
let elapsedMs = 0;

beforeAll(async () => {
  // The twin's default retry timing waits a fixed interval per retrier, without the definition's doubling up to 30 s;
  // at 1/20 of real time the 120 throttling retries (1 s becomes 50 ms) span about 6 s, which outlasts the burst as
  // the real half-hour backoff would. (npm run bench times the retries as Step Functions does.)
  world = await startWorld({ athena: { activeQueryQuota: QUOTA }, timeScale: 0.05 });
  const started = Date.now();
  const arns = await Promise.all(Array.from({ length: SUBMISSIONS }, (_, i) => world.submit(`${SAMPLE_QUERY} -- burst ${i}`, world.receiver.url(`/burst/${i}`))));
  executions = await within(30_000, 'the burst', Promise.all(arns.map((arn) => world.twin.stateMachine.waitFor(arn))));
  elapsedMs = Date.now() - started;
});

afterAll(async () => {
  await world?.close();
});

describe('e2e: burst beyond the Athena quota', () => {
  it(`delivers a SUCCEEDED callback for each of ${SUBMISSIONS} queries submitted at once against a quota of ${QUOTA}`, () => {
    // GIVEN a burst far beyond the quota (beforeAll)
    const delivered = world.receiver.deliveries.filter((d) => d.acknowledged);
    process.stdout.write(
      `burst: ${SUBMISSIONS} queries, quota ${QUOTA}: ${delivered.length} callbacks delivered, ${world.twin.athena.throttledStarts} throttled starts retried, ` +
        `peak ${world.twin.athena.peakActiveQueries} active queries, ${world.twin.deadLetters.sent.length} dead letters, in ${elapsedMs} ms\n`,
    );

    // THEN
    expect(executions.map((e) => e.status)).toEqual(Array(SUBMISSIONS).fill('SUCCEEDED'));
    expect(new Set(delivered.map((d) => d.path)).size).toBe(SUBMISSIONS);
    expect(delivered).toHaveLength(SUBMISSIONS);
    expect(delivered.map((d) => (d.payload as { State: { State: string } }).State.State)).toEqual(Array(SUBMISSIONS).fill('SUCCEEDED'));
    expect(world.twin.deadLetters.sent).toHaveLength(0);
  });

  it('never runs more queries at once than the quota, and was throttled on the way', () => {
    // THEN
    expect(world.twin.athena.peakActiveQueries).toBeLessThanOrEqual(QUOTA);
    expect(world.twin.athena.throttledStarts).toBeGreaterThan(0);
  });
});
