/** The local Step Functions: StartExecution's validation, interpreter workarounds, terminal payload errors. */
import { DataLimitExceededError, type TaskHandler } from '../../../twin/step-functions/service-integrations';
import {
  countTransitions,
  normaliseForInterpreter,
  retryDelaySeconds,
  secondsPathWaitMs,
  StateMachineRunner,
  StepFunctionsError,
} from '../../../twin/step-functions/state-machine-runner';

const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:test-machine';

function runner(task: TaskHandler, timeScale = 0.001): StateMachineRunner {
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
  return new StateMachineRunner({ stateMachineArn: ARN, roleArn: 'arn:aws:iam::123456789012:role/r', definition: JSON.stringify(definition), taskHandlers: () => ({ Work: task }), timeScale });
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

  it('retries with the compressed interval and counts every entry and retry as a transition', async () => {
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
    expect(record.stopDate!.getTime() - record.startDate.getTime()).toBeLessThan(500);
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

describe('Option: retryTiming backoff-and-jitter', () => {
  function backoffRunner(task: TaskHandler, random: () => number): StateMachineRunner {
    const definition = {
      StartAt: 'Work',
      States: {
        Work: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { 'Payload.$': '$' },
          Retry: [
            { ErrorEquals: ['Other'], IntervalSeconds: 60, MaxAttempts: 1 },
            { ErrorEquals: ['Flaky'], IntervalSeconds: 10, BackoffRate: 2, MaxAttempts: 3, MaxDelaySeconds: 30, JitterStrategy: 'FULL' },
          ],
          End: true,
        },
      },
    };
    // At full scale: a fixed-interval run would wait 10 s three times.
    return new StateMachineRunner({
      stateMachineArn: ARN,
      roleArn: 'arn:aws:iam::123456789012:role/r',
      definition: JSON.stringify(definition),
      taskHandlers: () => ({ Work: task }),
      timeScale: 1,
      retryTiming: 'backoff-and-jitter',
      random,
    });
  }

  it('draws one jittered wait per retry and hands it to the interpreter', async () => {
    // GIVEN a task that fails three times, and jitter that always draws 0
    let calls = 0;
    let draws = 0;
    const flaky = backoffRunner(
      async (input) => {
        calls += 1;
        if (calls <= 3) throw Object.assign(new Error('try again'), { name: 'Flaky' });
        return input;
      },
      () => {
        draws += 1;
        return 0;
      },
    );

    // WHEN
    const { executionArn } = flaky.startExecution({ stateMachineArn: ARN, input: '{}' });
    const record = await flaky.waitFor(executionArn);

    // THEN the three retries waited 0 s each, not the fixed 10 s
    expect(record.status).toBe('SUCCEEDED');
    expect(draws).toBe(3);
    expect(countTransitions(record.events)).toBe(4);
    expect(record.stopDate!.getTime() - record.startDate.getTime()).toBeLessThan(5000);
  });

  it('stops drawing once MaxAttempts is spent, and the error ends the execution', async () => {
    // GIVEN
    let draws = 0;
    const broken = backoffRunner(
      async () => {
        throw Object.assign(new Error('still down'), { name: 'Flaky' });
      },
      () => {
        draws += 1;
        return 0;
      },
    );

    // WHEN
    const { executionArn } = broken.startExecution({ stateMachineArn: ARN, input: '{}' });
    const record = await broken.waitFor(executionArn);

    // THEN
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('Flaky');
    expect(draws).toBe(3);
    expect(record.events.filter((e) => e.type === 'StateRetried')).toHaveLength(3);
  });
});

describe('Function: retryDelaySeconds', () => {
  it.each([
    ['doubles from the interval', { IntervalSeconds: 2, BackoffRate: 2 }, [2, 4, 8, 16]],
    ['stops at MaxDelaySeconds', { IntervalSeconds: 1, BackoffRate: 2, MaxDelaySeconds: 5 }, [1, 2, 4, 5, 5]],
    ['takes the States Language defaults (1 s, x2)', {}, [1, 2, 4]],
    ['draws FULL jitter from 0 to the capped backoff', { IntervalSeconds: 1, BackoffRate: 2, MaxDelaySeconds: 5, JitterStrategy: 'FULL' as const }, [0.25, 0.5, 1, 1.25]],
  ])('%s', (_name, retrier, expected) => {
    // WHEN
    const delays = expected.map((_, attempt) => retryDelaySeconds(retrier, attempt, () => 0.25));

    // THEN
    expect(delays).toEqual(expected);
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

describe('Waits with SecondsPath', () => {
  it('take no real time, and shift the logged timestamps of the events after them by the seconds waited', async () => {
    // GIVEN: a definition that waits 120 s, read from its input, between two tasks
    const definition = {
      StartAt: 'First',
      States: {
        First: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { 'Payload.$': '$' }, ResultPath: null, Next: 'Hold' },
        Hold: { Type: 'Wait', SecondsPath: '$.Delay.Seconds', Next: 'Second' },
        Second: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { 'Payload.$': '$' }, End: true },
      },
    };
    const machine = new StateMachineRunner({
      stateMachineArn: ARN,
      roleArn: 'arn:aws:iam::123456789012:role/r',
      definition: JSON.stringify(definition),
      taskHandlers: () => ({ First: async (i) => i, Second: async (i) => i }),
    });
    const started = Date.now();

    // WHEN
    const { executionArn } = machine.startExecution({ stateMachineArn: ARN, input: JSON.stringify({ Delay: { Seconds: 120 } }) });
    const record = await machine.waitFor(executionArn);

    // THEN
    const entered = (name: string) => record.events.find((e) => e.type === 'StateEntered' && e.state?.name === name)?.timestamp ?? NaN;
    expect(record.status).toBe('SUCCEEDED');
    expect(entered('Second') - entered('First')).toBeGreaterThanOrEqual(120_000);
    expect(entered('Second') - entered('Hold')).toBeGreaterThanOrEqual(120_000);
    expect(Date.now() - started).toBeLessThan(60_000);
  });

  it.each([
    ['$.a.b', { a: { b: 7 } }, 7000],
    ['$.a', { a: 0 }, 0],
  ])('reads %s from the input', (path, input, expected) => {
    expect(secondsPathWaitMs(path, input)).toBe(expected);
  });

  it.each([
    ['a path it cannot read', '$.a[0]', { a: [1] }, /of the form \$\.a\.b only/],
    ['a negative number', '$.a', { a: -1 }, /non-negative integer, got -1/],
    ['a string', '$.a', { a: '120' }, /non-negative integer, got "120"/],
  ])('refuses %s', (_label, path, input, message) => {
    expect(() => secondsPathWaitMs(path, input)).toThrow(message);
  });
});
