/**
 * Issue 6 part 3, burst: 500 queries submitted at once against an Athena quota of 20 active queries, each running
 * t = 10 s of twin time. Counts the queries that never get a callback, and the makespan (first submission to
 * last callback) against the ideal ⌈500 / 20⌉ · t, for our synthesized stack on the twin, then for the sample's state
 * machine on the same engine (bench/support/seed-machine.ts).
 *
 * Both run on the twin's virtual clock (twin/clock/twin-clock.ts): the definition's retry waits, the sample's Wait
 * and the query durations are exact twin seconds, and real processing takes no twin time, so the figures do not
 * depend on the machine. Retries are timed as Step Functions times them, with a seeded generator for the jitter.
 */
import { SAMPLE_QUERY, seededRandom, startWorld, within } from '../../__tests__/e2e/harness';
import { countTransitions, type ExecutionRecord } from '../../twin/step-functions/state-machine-runner';
import { row, type SectionReport } from '../report';
import { seedInput, seedStateMachine } from '../support/seed-machine';
import type { BenchOptions } from './section';

/** Most makespan over the ideal (issue 6). */
export const MAKESPAN_TARGET_RATIO = 1.3;

/** The burst, full size and --smoke size. */
const FULL = { submissions: 500, quota: 20, querySeconds: 10 } as const;
const SMOKE = { submissions: 40, quota: 4, querySeconds: 10 } as const;
/** The jitter generator's seed: the same seed gives the same waits. */
export const BURST_JITTER_SEED = 20261125;

function mean(samples: readonly number[]): number {
  return samples.length === 0 ? 0 : samples.reduce((sum, x) => sum + x, 0) / samples.length;
}

export async function burstSection(options: BenchOptions): Promise<SectionReport> {
  const burst = options.smoke ? SMOKE : FULL;
  const idealSeconds = Math.ceil(burst.submissions / burst.quota) * burst.querySeconds;
  const world = await startWorld({
    athena: { activeQueryQuota: burst.quota, timing: { minimumRunningMs: burst.querySeconds * 1000 } },
    random: seededRandom(BURST_JITTER_SEED),
    // The sample is started directly; the stage's throttle would only spread our submissions (see the baseline text).
    apiThrottling: false,
    lambdaSandboxes: 16,
  });
  const outputLocation = `s3://${world.twin.outputLocation.bucket}/${world.twin.outputLocation.prefix}`;
  const seed = seedStateMachine({ athena: world.twin.athena, lambda: world.twin.lambda, workGroupOutputLocation: outputLocation, clock: world.clock });
  const indexes = Array.from({ length: burst.submissions }, (_, i) => i);
  const path = (design: string, i: number): string => `/burst/${design}/${i}`;
  const delivered = (design: string): number[] =>
    world.receiver.deliveries.filter((d) => d.acknowledged && d.path.startsWith(`/burst/${design}/`)).map((d) => d.receivedAt);
  const lost = (design: string): number => burst.submissions - new Set(world.receiver.deliveries.filter((d) => d.acknowledged && d.path.startsWith(`/burst/${design}/`)).map((d) => d.path)).size;
  // Real time, only so a broken twin cannot hang the bench.
  const generous = 600_000;
  try {
    // Ours, through the API.
    const oursStart = world.clock.now();
    // One after another in real time, all at the same twin instant.
    const oursArns: string[] = [];
    for (const i of indexes) oursArns.push(await world.submit(`${SAMPLE_QUERY} -- burst ours ${i}`, world.receiver.url(path('ours', i))));
    const ours: ExecutionRecord[] = await within(generous, 'our burst', Promise.all(oursArns.map((arn) => world.twin.stateMachine.waitFor(arn))));
    const oursLast = Math.max(...delivered('ours'));
    const oursPeak = world.twin.athena.peakActiveQueries;
    const oursThrottled = world.twin.athena.throttledStarts;
    if (oursPeak > burst.quota) throw new Error(`${oursPeak} queries ran at once against a quota of ${burst.quota}: the engine's quota is broken`);

    // The sample, started directly (its own API would only add the same submission time).
    const seedStart = world.clock.now();
    const seedRecords: ExecutionRecord[] = await within(
      generous,
      'the sample\'s burst',
      Promise.all(indexes.map((i) => seed.waitFor(seed.startExecution(seedInput(`${SAMPLE_QUERY} -- burst seed ${i}`, world.receiver.url(path('seed', i)))).executionArn))),
    );
    const seedDelivered = delivered('seed');
    const seedFailed = seedRecords.filter((r) => r.status !== 'SUCCEEDED');
    const seedErrors = [...new Set(seedFailed.map((r) => r.error))].join(', ');

    const makespan = (oursLast - oursStart) / 1000;
    const seedMakespan = seedDelivered.length === 0 ? undefined : (Math.max(...seedDelivered) - seedStart) / 1000;
    const oursSucceeded = ours.filter((r) => r.status === 'SUCCEEDED').length;
    return {
      title: 'Burst',
      baseline:
        `the sample's state machine (bench/fixtures/seed-definition.ts) on the same engine after ours has finished, its ${burst.submissions} executions ` +
        `started at once. ${burst.submissions} queries against an active-query quota of ${burst.quota} (QUEUED + RUNNING, as Athena counts), ` +
        `each RUNNING t = ${burst.querySeconds} s of twin time. Both run on the twin's virtual clock: query durations, retry waits and the ` +
        'sample\'s Wait are exact twin seconds and real processing takes none, so the figures do not depend on the machine. Retry waits are ' +
        'computed as Step Functions computes them, interval x rate^n capped at MaxDelaySeconds with FULL jitter drawn uniformly from 0 to ' +
        'that (seeded). Ours is submitted through the API with the stage throttle off, all at one twin instant, as the sample\'s executions ' +
        'are started (deployed, the stage\'s default 50 requests/s with a burst of 100 spreads 500 submissions over about 8 s). Makespan: ' +
        'first submission to last callback, in twin seconds; its baseline is the ideal ⌈submissions / quota⌉ · t. Transitions per query ' +
        'include every billed retry. Not ' +
        'modelled: the interval at which Step Functions polls Athena for `.sync`, Athena\'s per-account API call rate (every retried start is a ' +
        'StartQueryExecution call) and Step Functions\' own StartExecution and transition rate quotas.',
      rows: [
        row({
          metric: `queries without a callback, ${burst.submissions} at once, quota ${burst.quota}`,
          unit: 'queries',
          ours: lost('ours'),
          baseline: lost('seed'),
          target: 0,
          note: `ours: ${oursSucceeded} SUCCEEDED, ${oursThrottled} throttled starts retried, peak ${oursPeak} active; the sample: ${seedFailed.length} executions failed${seedErrors === '' ? '' : ` (${seedErrors})`}`,
        }),
        row({
          metric: `makespan, first submission to last callback (baseline: the ideal ⌈${burst.submissions}/${burst.quota}⌉ · ${burst.querySeconds} s)`,
          unit: 's',
          ours: makespan,
          baseline: idealSeconds,
          target: idealSeconds * MAKESPAN_TARGET_RATIO,
          note: `twin seconds${seedMakespan === undefined ? '' : `; the sample's ${seedDelivered.length} callbacks came within ${seedMakespan.toFixed(0)} s`}`,
        }),
        row({
          metric: 'transitions per query in the burst, mean',
          unit: 'transitions',
          ours: mean(ours.map((r) => countTransitions(r.events))),
          baseline: mean(seedRecords.map((r) => countTransitions(r.events))),
          note: 'retries are billed; a failed execution of the sample bills only its start',
        }),
      ],
    };
  } finally {
    await seed.abortAll();
    await world.close();
  }
}
