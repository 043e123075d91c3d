/** The local Step Functions: StartExecution's validation, interpreter workarounds, terminal payload errors, twin time. */
import { VirtualClock } from '../../../twin/clock/twin-clock';
import { DataLimitExceededError, type TaskHandler } from '../../../twin/step-functions/service-integrations';
import { countTransitions, normaliseForInterpreter, StateMachineRunner, StepFunctionsError } from '../../../twin/step-functions/state-machine-runner';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:test-machine';
const ROLE = 'arn:aws:iam::123456789012:role/r';

function runner(task: TaskHandler, clock = new VirtualClock()): StateMachineRunner {
  const definition = {
    StartAt: 'Work',
    States: {
      Work: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { 'Payload.$': '$' },
        Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 1, MaxAttempts: 2 }],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.Error', Next: 'Caught' }],
        End: true,
      },
      Caught: { Type: 'Pass', End: true },
    },
  };
  return new StateMachineRunner({ stateMachineArn: ARN, roleArn: ROLE, definition: JSON.stringify(definition), taskHandlers: () => ({ Work: task }), clock });
}

function startError(action: () => unknown): StepFunctionsError {
  try {
    action();
  } catch (error) {
    if (error instanceof StepFunctionsError) return error;
    throw error;
  }
  throw new Error('StartExecution did not fail');
}

describe('Class: StateMachineRunner', () => {
  const ok = runner(async (input) => input);

  it.each([
    ['an unknown state machine', { stateMachineArn: `${ARN}-other`, input: '{}' }, 'StateMachineDoesNotExist'],
    ['a malformed ARN', { stateMachineArn: 'nope', input: '{}' }, 'InvalidArn'],
    ['a name with a space', { stateMachineArn: ARN, name: 'a b', input: '{}' }, 'InvalidName'],
    ['a name of 81 characters', { stateMachineArn: ARN, name: 'n'.repeat(81), input: '{}' }, 'InvalidName'],
    ['input that is not JSON', { stateMachineArn: ARN, input: "{'a': 1}" }, 'InvalidExecutionInput'],
    ['input over 256 KiB', { stateMachineArn: ARN, input: JSON.stringify('x'.repeat(262144)) }, 'ValidationException'],
  ])('refuses %s as StartExecution does', (_name, request, type) => {
    // WHEN
    const error = startError(() => ok.startExecution(request));

    // THEN
    expect(error.type).toBe(type);
    expect(ok.executions).toHaveLength(0);
  });

  it('returns the running execution again for the same name and input, and refuses other input', async () => {
    // GIVEN
    const first = ok.startExecution({ stateMachineArn: ARN, name: 'same', input: '{"a":1}' });

    // WHEN
    const again = ok.startExecution({ stateMachineArn: ARN, name: 'same', input: '{"a":1}' });
    const other = startError(() => ok.startExecution({ stateMachineArn: ARN, name: 'same', input: '{"a":2}' }));

    // THEN
    expect(again.executionArn).toBe(first.executionArn);
    expect(other.type).toBe('ExecutionAlreadyExists');
    await ok.waitFor(first.executionArn);
  });

  it('retries after IntervalSeconds of twin time and counts every entry and retry as a transition', async () => {
    // GIVEN
    let calls = 0;
    const flaky = runner(async (input) => {
      calls += 1;
      if (calls < 3) throw Object.assign(new Error('try again'), { name: 'Flaky' });
      return input;
    });

    // WHEN
    const { executionArn } = flaky.startExecution({ stateMachineArn: ARN, input: '{}' });
    const record = await flaky.waitFor(executionArn);

    // THEN
    expect(record.status).toBe('SUCCEEDED');
    expect(countTransitions(record.events)).toBe(3);
    // IntervalSeconds 1, BackoffRate 2 (the default): 1 s, then 2 s.
    expect(record.stopDate!.getTime() - record.startDate.getTime()).toBe(3000);
  });

  it('fails the execution on States.DataLimitExceeded even though a Catch matches States.ALL', async () => {
    // GIVEN
    const oversize = runner(async () => {
      throw new DataLimitExceededError('result of the connector of state Work', 300_000);
    });

    // WHEN
    const { executionArn } = oversize.startExecution({ stateMachineArn: ARN, input: '{}' });
    const record = await oversize.waitFor(executionArn);

    // THEN
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.DataLimitExceeded');
    expect(record.events.map((e) => e.state?.name).filter(Boolean)).not.toContain('Caught');
  });
});

describe('Twin time', () => {
  const RETRYING = {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke',
    Parameters: { 'Payload.$': '$' },
    Retry: [
      { ErrorEquals: ['Other'], IntervalSeconds: 60, MaxAttempts: 1 },
      { ErrorEquals: ['Flaky'], IntervalSeconds: 10, BackoffRate: 2, MaxAttempts: 3, MaxDelaySeconds: 30, JitterStrategy: 'FULL' },
    ],
    End: true,
  };

  function machine(definition: object, task: TaskHandler, clock: VirtualClock, random?: () => number): StateMachineRunner {
    return new StateMachineRunner({ stateMachineArn: ARN, roleArn: ROLE, definition: JSON.stringify(definition), taskHandlers: () => ({ Work: task }), clock, random });
  }

  /** A task that throws Flaky `failures` times, noting the twin time of every call. */
  function flakyTask(clock: VirtualClock, failures: number, calls: number[]): TaskHandler {
    return async (input) => {
      calls.push(clock.now());
      if (calls.length <= failures) throw Object.assign(new Error('try again'), { name: 'Flaky' });
      return input;
    };
  }

  it('waits IntervalSeconds x BackoffRate^n capped at MaxDelaySeconds, with FULL jitter drawn from the given generator', async () => {
    // GIVEN a task that fails three times, and jitter that always draws half of the wait
    const clock = new VirtualClock({ start: 0 });
    const calls: number[] = [];
    const flaky = machine({ StartAt: 'Work', States: { Work: RETRYING } }, flakyTask(clock, 3, calls), clock, () => 0.5);

    // WHEN
    const { executionArn } = flaky.startExecution({ stateMachineArn: ARN, input: '{}' });
    const record = await flaky.waitFor(executionArn);

    // THEN the waits were 10, 20 and 30 (capped from 40) s, each halved by the jitter
    expect(record.status).toBe('SUCCEEDED');
    expect(calls).toEqual([0, 5000, 15000, 30000]);
    expect(countTransitions(record.events)).toBe(4);
  });

  it('stops retrying once MaxAttempts is spent, and the error ends the execution', async () => {
    // GIVEN
    const clock = new VirtualClock({ start: 0 });
    const calls: number[] = [];
    const broken = machine({ StartAt: 'Work', States: { Work: RETRYING } }, flakyTask(clock, Infinity, calls), clock, () => 0.999999);

    // WHEN
    const { executionArn } = broken.startExecution({ stateMachineArn: ARN, input: '{}' });
    const record = await broken.waitFor(executionArn);

    // THEN
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('Flaky');
    expect(calls).toEqual([0, 10000, 30000, 60000]);
    expect(record.events.filter((e) => e.type === 'StateRetried')).toHaveLength(3);
  });

  it('waits a Wait state\'s SecondsPath exactly, in twin time', async () => {
    // GIVEN
    const clock = new VirtualClock({ start: 0 });
    const calls: number[] = [];
    const waiting = machine(
      { StartAt: 'Pause', States: { Pause: { Type: 'Wait', SecondsPath: '$.seconds', Next: 'Work' }, Work: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } },
      flakyTask(clock, 0, calls),
      clock,
    );

    // WHEN
    const { executionArn } = waiting.startExecution({ stateMachineArn: ARN, input: '{"seconds":120}' });
    const record = await waiting.waitFor(executionArn);

    // THEN
    expect(record.status).toBe('SUCCEEDED');
    expect(calls).toEqual([120_000]);
  });

  it('times a Task out after its TimeoutSeconds of twin time, while the task waits on the clock', async () => {
    // GIVEN a task that would take an hour
    const clock = new VirtualClock({ start: 0 });
    const slow = machine(
      { StartAt: 'Work', States: { Work: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', TimeoutSeconds: 900, End: true } } },
      async (input) => {
        await clock.sleep(3_600_000);
        return input;
      },
      clock,
    );

    // WHEN
    const { executionArn } = slow.startExecution({ stateMachineArn: ARN, input: '{}' });
    const record = await slow.waitFor(executionArn);

    // THEN
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.Timeout');
    expect(record.stopDate!.getTime()).toBe(900_000);
  });

  it('stamps start and stop dates and events with twin time', async () => {
    // GIVEN a clock that starts at a known instant
    const clock = new VirtualClock({ start: Date.UTC(2030, 0, 1) });
    const calls: number[] = [];
    const flaky = runner(flakyTask(clock, 1, calls), clock);

    // WHEN
    const { executionArn, startDate } = flaky.startExecution({ stateMachineArn: ARN, input: '{}' });
    const record = await flaky.waitFor(executionArn);

    // THEN
    expect(startDate).toBe(Date.UTC(2030, 0, 1) / 1000);
    expect(record.events[0].timestamp).toBe(Date.UTC(2030, 0, 1));
    expect(record.stopDate!.getTime()).toBe(Date.UTC(2030, 0, 1) + 1000);
  });
});

describe('Function: normaliseForInterpreter', () => {
  it('drops only ResultPath "$", which is the default, from states and catchers', () => {
    // GIVEN
    const definition = {
      StartAt: 'A',
      States: {
        A: { Type: 'Task' as const, Resource: 'arn:aws:states:::lambda:invoke', ResultPath: '$', Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$', Next: 'B' }], Next: 'B' },
        B: { Type: 'Pass' as const, ResultPath: '$.kept', End: true as const },
      },
    };

    // WHEN
    const { definition: normalised, changes } = normaliseForInterpreter(definition);

    // THEN
    expect(normalised.States).toEqual({
      A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'B' }], Next: 'B' },
      B: { Type: 'Pass', ResultPath: '$.kept', End: true },
    });
    expect(changes).toEqual(['A: ResultPath "$" left to its default', 'A.Catch[0]: ResultPath "$" left to its default']);
  });
});
