/**
 * Issue 11, capacity: checks the capacity model (the `details` of this section, written into BENCHMARKS.md) against
 * the twin, on its virtual clock.
 *
 * - Throughput at Athena's active-query quota: N queries of duration D at quota Q, submitted through the API at the
 *   synthesized stage throttle by clients that retry a 429 (as the AWS SDKs and this package's client do), finish in
 *   about ⌈N/Q⌉ · D of twin time, for short and for long queries. Transitions per query and StartQueryExecution calls
 *   per query are counted from the executions' events; the call and transition times are replayed through the token
 *   buckets of Athena's and Step Functions' documented rate quotas to show which would refuse calls (the twin itself
 *   models neither).
 * - The stage throttle: requests offered above the synthesized rate limit are admitted as its token bucket says
 *   (burst, then rate x time), the rest answered 429.
 * - The poll load of `async-athena-query wait`: its real schedule (client/backoff.ts PollSchedule), simulated.
 */
import { SAMPLE_QUERY, seededRandom, startWorld, within, type World } from '../../__tests__/e2e/harness';
import { DEFAULT_POLL_BACKOFF, PollSchedule } from '../../client/backoff';
import { countTransitions, type ExecutionEvent, type ExecutionRecord } from '../../twin/step-functions/state-machine-runner';
import { row, type Row, type SectionReport } from '../report';
import { peakInWindow, refusedByBucket, type TokenBucketQuota } from '../support/token-bucket';
import { CAPACITY_MODEL, QUOTAS } from './capacity-model';
import type { BenchOptions } from './section';

/** The seed of the twin's retry jitter and the clients' 429 backoff in this section. */
export const CAPACITY_SEED = 20261130;

interface Workload {
  readonly submissions: number;
  readonly querySeconds: number;
}

interface Sizes {
  readonly quota: number;
  readonly short: Workload;
  readonly long: Workload;
  /** Requests offered to the stage, evenly over `seconds`. */
  readonly offered: { readonly perSecond: number; readonly seconds: number };
  /** `wait`s simulated per query duration. */
  readonly pollRuns: number;
}

const FULL: Sizes = { quota: 20, short: { submissions: 200, querySeconds: 2 }, long: { submissions: 60, querySeconds: 300 }, offered: { perSecond: 100, seconds: 4 }, pollRuns: 2000 };
const SMOKE: Sizes = { quota: 4, short: { submissions: 12, querySeconds: 2 }, long: { submissions: 8, querySeconds: 60 }, offered: { perSecond: 100, seconds: 1 }, pollRuns: 50 };

/** Most makespan over the ideal ⌈N/Q⌉ · D: the burst section's bound (issue 6). */
const MAKESPAN_TARGET = 1.3;

/** Query durations `wait` is simulated for, in seconds. */
const WAIT_DURATIONS = [60, 1800] as const;

function mean(samples: readonly number[]): number {
  return samples.length === 0 ? 0 : samples.reduce((sum, x) => sum + x, 0) / samples.length;
}

/** Names of the definition's Athena task states: each entry or retry of one is a StartQueryExecution call. */
function athenaStates(world: World): Set<string> {
  const definition = JSON.parse(world.twin.stack.artifacts.stateMachine.definition) as { States: Record<string, { Resource?: string }> };
  return new Set(Object.entries(definition.States).filter(([, s]) => s.Resource?.includes(':athena:')).map(([name]) => name));
}

/** Times of the billed transitions (every state entered, every retry). */
function transitionTimes(events: readonly ExecutionEvent[]): number[] {
  return events.filter((e) => e.type === 'StateEntered' || e.type === 'StateRetried').map((e) => e.timestamp);
}

function startQueryCallTimes(events: readonly ExecutionEvent[], states: Set<string>): number[] {
  return events.filter((e) => (e.type === 'StateEntered' || e.type === 'StateRetried') && e.state !== undefined && states.has(e.state.name)).map((e) => e.timestamp);
}

/** One workload's figures. */
interface Measured {
  readonly makespanSeconds: number;
  readonly idealSeconds: number;
  readonly records: readonly ExecutionRecord[];
  readonly callbacks: number;
  readonly peakActive: number;
  readonly executionStarts: number[];
  readonly startQueryCalls: number[];
  readonly transitions: number[];
}

/** Submits a workload through the API (retrying 429s), all from one twin instant, and waits for every callback. */
async function runWorkload(world: World, label: string, workload: Workload, quota: number, random: () => number): Promise<Measured> {
  const states = athenaStates(world);
  const start = world.clock.now();
  const peakBefore = world.twin.athena.peakActiveQueries;
  const arns: string[] = [];
  // One after another in real time; a throttled client waits its backoff in twin time, so later ones arrive later.
  for (let i = 0; i < workload.submissions; i++) {
    const response = await world.post({ Query: `${SAMPLE_QUERY} -- capacity ${label} ${i}`, CallbackUrl: world.receiver.url(`/capacity/${label}/${i}`) }, { retriesOn429: 1000, random });
    if (response.status !== 200) throw new Error(`The API answered ${response.status}: ${response.text}`);
    arns.push((response.json as { executionArn: string }).executionArn);
  }
  const records = await within(900_000, `the ${label} workload`, Promise.all(arns.map((arn) => world.twin.stateMachine.waitFor(arn))));
  const delivered = world.receiver.deliveries.filter((d) => d.acknowledged && d.path.startsWith(`/capacity/${label}/`));
  const last = Math.max(...delivered.map((d) => d.receivedAt));
  return {
    makespanSeconds: (last - start) / 1000,
    idealSeconds: Math.ceil(workload.submissions / quota) * workload.querySeconds,
    records,
    callbacks: new Set(delivered.map((d) => d.path)).size,
    peakActive: Math.max(peakBefore, world.twin.athena.peakActiveQueries),
    executionStarts: records.map((r) => r.startDate.getTime()),
    startQueryCalls: records.flatMap((r) => startQueryCallTimes(r.events, states)),
    transitions: records.flatMap((r) => transitionTimes(r.events)),
  };
}

/** Offers requests to the stage at an even rate (bodies the model refuses, so nothing starts) and counts what it admitted. */
async function offerRequests(world: World, perSecond: number, seconds: number): Promise<{ admitted: number; throttled: number }> {
  let admitted = 0;
  let throttled = 0;
  for (let i = 0; i < perSecond * seconds; i++) {
    // A 429 is the stage's throttle; a 400 means the request got past it to the body check.
    const response = await world.post({ Query: '' });
    if (response.status === 429) throttled += 1;
    else if (response.status === 400) admitted += 1;
    else throw new Error(`Expected 400 or 429 from the stage, got ${response.status}: ${response.text}`);
    await world.clock.sleep(1000 / perSecond);
  }
  return { admitted, throttled };
}

/** `wait`'s polls for a query RUNNING for `durationMs` from the first poll: how many, and how late the last one comes. */
export function simulateWait(durationMs: number, runs: number, random: () => number): { polls: number; lateMs: number } {
  const polls: number[] = [];
  const late: number[] = [];
  for (let run = 0; run < runs; run++) {
    const schedule = new PollSchedule(DEFAULT_POLL_BACKOFF, random);
    let time = 0;
    let count = 1;
    while (time < durationMs) {
      time += schedule.next('RUNNING');
      count += 1;
    }
    polls.push(count);
    late.push(time - durationMs);
  }
  return { polls: mean(polls), lateMs: mean(late) };
}

function bucketRow(metric: string, unit: 'calls' | 'transitions' | 'queries', callTimes: readonly number[], quota: TokenBucketQuota, note: string): Row {
  return row({ metric: `${metric} (bucket ${quota.bucketSize}, refill ${quota.refillPerSecond}/s)`, unit, ours: refusedByBucket(callTimes, quota), target: 0, note: `${note}; peak ${peakInWindow(callTimes)} in one second` });
}

export async function capacitySection(options: BenchOptions): Promise<SectionReport> {
  const sizes = options.smoke ? SMOKE : FULL;
  const durations = new Map([
    ['alone', sizes.short.querySeconds * 1000],
    ['short', sizes.short.querySeconds * 1000],
    ['long', sizes.long.querySeconds * 1000],
  ]);
  const queries = await startWorld({
    athena: {
      activeQueryQuota: sizes.quota,
      timing: { minimumRunningMs: (q) => durations.get(/-- capacity (\w+)/.exec(q.Query)?.[1] ?? '') ?? 0 },
    },
    random: seededRandom(CAPACITY_SEED),
    lambdaSandboxes: 16,
  });
  const throttle = queries.twin.stack.artifacts.api.throttling;
  if (throttle === undefined) throw new Error('The synthesized stage has no throttling: the capacity model assumes the module default');
  const clients = seededRandom(CAPACITY_SEED + 1);
  let alone: Measured;
  let short: Measured;
  let long: Measured;
  try {
    alone = await runWorkload(queries, 'alone', { submissions: 1, querySeconds: sizes.short.querySeconds }, sizes.quota, clients);
    short = await runWorkload(queries, 'short', sizes.short, sizes.quota, clients);
    long = await runWorkload(queries, 'long', sizes.long, sizes.quota, clients);
  } finally {
    await queries.close();
  }
  const api = await startWorld({ random: seededRandom(CAPACITY_SEED + 2) });
  let offered: { admitted: number; throttled: number };
  try {
    offered = await offerRequests(api, sizes.offered.perSecond, sizes.offered.seconds);
  } finally {
    await api.close();
  }

  const uncontended = countTransitions(alone.records[0].events);
  const perQuery = (m: Measured): number => mean(m.records.map((r) => countTransitions(r.events)));
  const callsPerQuery = (m: Measured): number => m.startQueryCalls.length / m.records.length;
  const lost = (m: Measured): number => m.records.length - m.callbacks;
  const offeredTotal = sizes.offered.perSecond * sizes.offered.seconds;
  // The stage's bucket: full at the start, refilled at the rate limit between the first and the last request.
  const expectedAdmitted = Math.min(offeredTotal, throttle.burstLimit + Math.floor(((offeredTotal - 1) / sizes.offered.perSecond) * throttle.rateLimit));
  const waits = WAIT_DURATIONS.map((seconds) => ({ seconds, ...simulateWait(seconds * 1000, sizes.pollRuns, seededRandom(CAPACITY_SEED + seconds)) }));
  const workloadRows = (name: string, m: Measured, workload: Workload, target: number): Row[] => [
    row({
      metric: `${name}: makespan of ${workload.submissions} queries of ${workload.querySeconds} s at quota ${sizes.quota} (baseline: the model's ⌈N/Q⌉ · D)`,
      unit: 's',
      ours: m.makespanSeconds,
      baseline: m.idealSeconds,
      target: m.idealSeconds * target,
      note: `twin seconds, first submission to last callback; ${m.callbacks} callbacks, ${lost(m)} missing; peak ${m.peakActive} active`,
    }),
    row({ metric: `${name}: sustained throughput (baseline: the model's Q / D)`, unit: 'queries/s', ours: workload.submissions / m.makespanSeconds, baseline: sizes.quota / workload.querySeconds }),
    row({ metric: `${name}: transitions per query, mean (baseline: one query alone)`, unit: 'transitions', ours: perQuery(m), baseline: uncontended, note: 'each throttled start is a billed retry' }),
    row({ metric: `${name}: StartQueryExecution calls per query, mean (baseline: one query alone)`, unit: 'calls', ours: callsPerQuery(m), baseline: callsPerQuery(alone) }),
  ];

  return {
    title: 'Capacity',
    baseline:
      `the capacity model below (section "Capacity model"), checked on the twin's virtual clock. One twin with an active-query quota of ${sizes.quota} ` +
      `(QUEUED + RUNNING, as Athena counts) and the synthesized stage throttle (${throttle.rateLimit} requests/s, burst ${throttle.burstLimit}): ` +
      `one query alone, then ${sizes.short.submissions} queries RUNNING ${sizes.short.querySeconds} s each, then ${sizes.long.submissions} RUNNING ` +
      `${sizes.long.querySeconds} s each, each workload submitted from one twin instant through the API by clients that retry a 429 after a ` +
      'seeded random backoff, so the stage admits its burst and then its rate. Makespan: first submission to last callback. ' +
      'StartQueryExecution calls are the entries and retries of the Athena task state; they, the state transitions and the execution starts ' +
      'are replayed through the token buckets of the documented quotas (the smallest regional defaults; the twin enforces none of them) ' +
      'to count the calls each would refuse. Stage throttle: a second twin, ' +
      `${offeredTotal} requests offered evenly at ${sizes.offered.perSecond}/s (bodies the model refuses, so nothing starts): a 400 got past the ` +
      `throttle, a 429 did not; the model admits burst + rate x time. \`wait\`: ${sizes.pollRuns} runs of the client's own poll schedule ` +
      '(client/backoff.ts, full jitter, ceiling 1 s doubling to 20 s) per query duration, seeded.',
    details: CAPACITY_MODEL,
    rows: [
      ...workloadRows('Short queries', short, sizes.short, MAKESPAN_TARGET),
      ...workloadRows('Long queries', long, sizes.long, MAKESPAN_TARGET),
      bucketRow('Short queries: StartQueryExecution calls Athena\'s API rate quota would refuse', 'calls', short.startQueryCalls, QUOTAS.athenaStartQueryExecution, 'not modelled by the twin; see "What binds first"'),
      bucketRow('Short queries: state transitions the StateTransition quota would refuse', 'transitions', short.transitions, QUOTAS.stepFunctionsStateTransition, 'smallest regional default'),
      bucketRow('Short queries: executions the StartExecution quota would refuse', 'queries', short.executionStarts, QUOTAS.stepFunctionsStartExecution, 'smallest regional default'),
      row({
        metric: `Stage throttle: requests admitted of ${offeredTotal} offered at ${sizes.offered.perSecond}/s (baseline: burst ${throttle.burstLimit} + ${throttle.rateLimit}/s x time)`,
        unit: 'requests',
        ours: offered.admitted,
        baseline: expectedAdmitted,
        note: `${offered.throttled} answered 429`,
      }),
      ...waits.flatMap((w) => [
        row({
          metric: `\`wait\` for a ${w.seconds >= 600 ? `${w.seconds / 60} min` : `${w.seconds} s`} query: status polls, mean (baseline: polling every 5 s)`,
          unit: 'polls',
          ours: w.polls,
          baseline: w.seconds / 5 + 1,
          note: `${(w.polls / w.seconds).toFixed(3)} requests/s per waiting client`,
        }),
        row({ metric: `\`wait\` for a ${w.seconds >= 600 ? `${w.seconds / 60} min` : `${w.seconds} s`} query: end noticed late by, mean (baseline: polling every 5 s)`, unit: 's', ours: w.lateMs / 1000, baseline: 2.5 }),
      ]),
    ],
  };
}
