/**
 * The benchmarks' baseline: the sample's state machine as a fixture, and the virtual clock the cost section counts
 * its transitions on.
 */
import { SEED_DEFINITION, SEED_STATE_NAMES, SEED_TIMEOUT_SECONDS, seedTransitionsFor } from '../../bench/fixtures/seed-definition';
import { VirtualClockMachine, type VirtualClock } from '../../bench/support/virtual-time';
import { TaskError, type TaskHandler } from '../../twin/step-functions/service-integrations';

const INPUT = { ApiRequest: { Query: 'SELECT 1', CallbackUrl: 'https://receiver.example/hook' } };
const ARN = 'arn:aws:states:us-east-1:123456789012:execution:AthenaQueryOrchestration:test';
const machine = new VirtualClockMachine(SEED_DEFINITION);

/** A query RUNNING for `seconds` after its start, and a callbacker that accepts. */
function handlers(seconds: number, start?: TaskHandler): (clock: VirtualClock) => Record<string, TaskHandler> {
  return (clock) => {
    let startedAt = 0;
    return {
      [SEED_STATE_NAMES.startQuery]:
        start ??
        (async () => {
          startedAt = clock.now;
          return { QueryExecutionId: 'q-1' };
        }),
      [SEED_STATE_NAMES.getQuery]: async () => ({ QueryExecution: { QueryExecutionId: 'q-1', Status: { State: clock.now - startedAt >= seconds ? 'SUCCEEDED' : 'RUNNING' } } }),
      [SEED_STATE_NAMES.invokeLambda]: async () => ({ StatusCode: 200, Payload: { ok: true } }),
    };
  };
}

describe('Fixture: the sample\'s state machine', () => {
  it('polls with a 15 s Wait, has no Retry or Catch on its Athena states, and times out after 1800 s', () => {
    // THEN
    const states = SEED_DEFINITION.States;
    expect(states[SEED_STATE_NAMES.wait]).toEqual({ Type: 'Wait', Seconds: 15, Next: SEED_STATE_NAMES.getQuery });
    for (const name of [SEED_STATE_NAMES.startQuery, SEED_STATE_NAMES.getQuery]) {
      expect(Object.keys(states[name])).not.toContain('Retry');
      expect(Object.keys(states[name])).not.toContain('Catch');
    }
    expect(states[SEED_STATE_NAMES.startQuery].Resource).toBe('arn:aws:states:::athena:startQueryExecution');
    expect(states[SEED_STATE_NAMES.invokeLambda].Retry).toEqual([
      { ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException'], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 },
    ]);
    expect(SEED_DEFINITION.TimeoutSeconds).toBe(SEED_TIMEOUT_SECONDS);
  });

  it.each([1, 15, 16, 60, 61, 1800])('takes 2 + 3 x ceil(T / 15 s) transitions for a query of %i s', async (seconds) => {
    // WHEN
    const run = await machine.run({ input: INPUT, executionArn: ARN, taskHandlers: handlers(seconds), enforceTimeouts: false });

    // THEN
    expect([run.status, run.transitions]).toEqual(['SUCCEEDED', seedTransitionsFor(seconds)]);
    expect(run.simulatedSeconds).toBe(15 * Math.ceil(seconds / 15));
  });

  it('times out with no callback when a query reaches its 1800 s limit', async () => {
    // WHEN
    const run = await machine.run({ input: INPUT, executionArn: ARN, taskHandlers: handlers(1800), enforceTimeouts: true });

    // THEN the 120th Wait reaches 1800 s: 1 start + 119 polls of 3 + that Wait
    expect([run.status, run.transitions, run.simulatedSeconds]).toEqual(['TIMED_OUT', 359, 1800]);
    expect(run.events.map((e) => e.state?.name)).not.toContain(SEED_STATE_NAMES.invokeLambda);
  });

  it('fails without a callback when the start is throttled', async () => {
    // GIVEN
    const throttled: TaskHandler = async () => {
      throw new TaskError('Athena.TooManyRequestsException', 'You have exceeded the limit for the number of queries you can run concurrently.');
    };

    // WHEN
    const run = await machine.run({ input: INPUT, executionArn: ARN, taskHandlers: handlers(2, throttled), enforceTimeouts: true });

    // THEN
    expect([run.status, run.transitions]).toEqual(['FAILED', 1]);
  });
});
