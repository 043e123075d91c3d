/**
 * Issue 6 part 2, callback delay: real milliseconds from the moment the twin's Athena engine marks a query SUCCEEDED to
 * the moment the receiver has the callback POST, for our synthesized stack and for the sample's state machine on the
 * same twin (bench/support/seed-machine.ts: same engine, same Lambda with our callbacker).
 *
 * Ours goes through the whole twin (SigV4 API, query API function, interpreter, `.sync` task, bundled callbacker, https
 * receiver). The twin's `.sync` task resumes the moment the engine finishes: the interval at which Step Functions
 * itself polls Athena for `.sync` is not modelled, so on AWS ours waits that much longer.
 *
 * The sample waits in a 15 s Wait between polls, so its delay is where the query's end falls in that interval. Its
 * queries last T = 15 x (i + 0.5) / n seconds, spread evenly over one interval, so its delays cover the whole range
 * from 0 to 15 s. The twin keeps wall-clock time here (a RealTimeClock), so the figures are real milliseconds; with
 * --smoke it runs on a virtual clock instead (twin milliseconds: the sample's exact position in its interval, and 0
 * for ours, whose real processing takes no twin time).
 */
import { SAMPLE_QUERY, startWorld, within, type World } from '../../__tests__/e2e/harness';
import { RealTimeClock, VirtualClock } from '../../twin/clock/twin-clock';
import type { StateMachineRunner } from '../../twin/step-functions/state-machine-runner';
import { SEED_POLL_SECONDS } from '../fixtures/seed-definition';
import { row, type SectionReport } from '../report';
import { seedInput, seedStateMachine } from '../support/seed-machine';
import { median, percentile } from '../support/stats';
import type { BenchOptions } from './section';

/** Longest acceptable delay between SUCCEEDED and the callback, for ours (issue 6). */
export const CALLBACK_DELAY_TARGET_MS = 1000;

type Design = 'ours' | 'seed';

function mean(samples: readonly number[]): number {
  return samples.reduce((sum, x) => sum + x, 0) / samples.length;
}

/** Submits one query by each design and resolves when both executions have ended. */
async function runPair(world: World, seed: StateMachineRunner, tag: string): Promise<void> {
  const query = (design: Design): string => `${SAMPLE_QUERY} -- ${tag} ${design}`;
  const url = (design: Design): string => world.receiver.url(`/delay/${design}/${tag}`);
  const oursArn = await world.submit(query('ours'), url('ours'));
  const { executionArn: seedArn } = seed.startExecution(seedInput(query('seed'), url('seed')));
  const [o, s] = await Promise.all([world.twin.stateMachine.waitFor(oursArn), seed.waitFor(seedArn)]);
  if (o.status !== 'SUCCEEDED' || s.status !== 'SUCCEEDED') throw new Error(`Delay sample ${tag}: ours ${o.status}, the sample ${s.status}: the benchmark measured a broken path`);
}

export async function callbackDelaySection(options: BenchOptions): Promise<SectionReport> {
  const samples = options.smoke ? 2 : 10;
  const durationMs = new Map<string, number>();
  const world = await startWorld({
    athena: { timing: { minimumRunningMs: (q) => durationMs.get(q.Query) ?? 0 } },
    clock: options.smoke ? new VirtualClock() : new RealTimeClock(),
  });
  const outputLocation = `s3://${world.twin.outputLocation.bucket}/${world.twin.outputLocation.prefix}`;
  const seed = seedStateMachine({ athena: world.twin.athena, lambda: world.twin.lambda, workGroupOutputLocation: outputLocation, clock: world.twin.clock });
  const succeededAt = new Map<string, number>();
  const stop = world.twin.athena.onStateChange((q) => {
    if (q.Status.State === 'SUCCEEDED') succeededAt.set(q.Query, world.twin.clock.now());
  });
  try {
    // The twin's first invocation creates a sandbox, assumes the presigner role and reads the signing secret; Lambda's
    // own cold start is not that, so it is left out. Both designs share the function, so one query of ours warms it.
    const warmUp = await world.submit(`${SAMPLE_QUERY} -- warm-up`, world.receiver.url('/delay/warm-up'));
    if ((await within(20_000, 'the warm-up', world.twin.stateMachine.waitFor(warmUp))).status !== 'SUCCEEDED') throw new Error('The warm-up query failed');
    const tags = Array.from({ length: samples }, (_, i) => `sample-${i}`);
    tags.forEach((tag, i) => {
      const ms = ((SEED_POLL_SECONDS * (i + 0.5)) / samples) * 1000;
      durationMs.set(`${SAMPLE_QUERY} -- ${tag} ours`, ms);
      durationMs.set(`${SAMPLE_QUERY} -- ${tag} seed`, ms);
    });
    await within(60_000, 'the callback-delay runs', Promise.all(tags.map((tag) => runPair(world, seed, tag))));
    const delays = (design: Design): number[] =>
      tags.map((tag) => {
        const delivery = world.receiver.deliveries.find((d) => d.acknowledged && d.path === `/delay/${design}/${tag}`);
        const done = succeededAt.get(`${SAMPLE_QUERY} -- ${tag} ${design}`);
        if (delivery === undefined || done === undefined) throw new Error(`No callback for ${design} ${tag}: the benchmark measured a broken path`);
        return delivery.receivedAt - done;
      });
    const ours = delays('ours');
    const theirs = delays('seed');
    const note = options.smoke ? 'twin milliseconds on a virtual clock with --smoke' : undefined;
    return {
      title: 'Callback delay',
      baseline:
        'the sample\'s state machine (bench/fixtures/seed-definition.ts) on the same twin: same Athena engine, same Lambda with our callbacker, ' +
        'started directly (its API is not part of the delay). Delay: real ms from the engine marking the query SUCCEEDED to the receiver having the ' +
        `POST, ${samples} queries per design after one unmeasured warm-up query (the shared function's first invocation). The twin keeps wall-clock time` +
        `${options.smoke ? ' (with --smoke a virtual clock: twin milliseconds, in which the twin\'s own processing takes no time)' : ''}; query durations are spread evenly over one poll ` +
        'interval (T = 15 s x (i + 0.5) / n), so its delays sample the whole 0 to 15 s range (7.5 s on average for a random T). ' +
        'Ours resumes the moment the engine finishes: AWS\'s own poll interval for `.sync` integrations is NOT modelled, so on AWS our delay is ' +
        'longer by however long Step Functions takes to notice the query ended.',
      rows: [
        row({ metric: 'callback delay after SUCCEEDED, median', unit: 'ms', ours: median(ours), baseline: median(theirs), target: CALLBACK_DELAY_TARGET_MS, note }),
        row({ metric: 'callback delay after SUCCEEDED, mean', unit: 'ms', ours: mean(ours), baseline: mean(theirs), target: CALLBACK_DELAY_TARGET_MS, note }),
        row({ metric: 'callback delay after SUCCEEDED, max', unit: 'ms', ours: percentile(ours, 100), baseline: percentile(theirs, 100), target: CALLBACK_DELAY_TARGET_MS, note }),
      ],
    };
  } finally {
    stop();
    await seed.abortAll();
    await world.close();
  }
}
