/**
 * The Step Functions API of the twin's state machines (the query machine and the cancellation machine), answered from
 * their executions in the shapes of the AWS JSON 1.0 protocol (timestamps as epoch seconds): StartExecution,
 * StopExecution, DescribeExecution, ListExecutions and GetExecutionHistory. The query API function and the redrive
 * call them with the AWS SDK, exactly as they call them in AWS.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_Operations.html
 *
 * The history weaves two logs: the interpreter's state events (entered, exited, failed, retried, caught) and the
 * integrations' task events (task-history.ts). Each run of a Task state's handler begins after the state's
 * StateEntered or StateRetried event, in order, which is how the two are matched.
 */
import type { ExecutionEvent, ExecutionRecord, StateMachineRunner } from './state-machine-runner';
import { StepFunctionsError } from './state-machine-runner';
import type { TaskAttempt, TaskEvent, TaskHistory } from './task-history';

/** One history event, as GetExecutionHistory returns it. https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html */
export interface HistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly type: string;
  /** Epoch seconds. */
  readonly timestamp: number;
  readonly [details: string]: unknown;
}

/** Execution-level event types, by the interpreter's names. */
const EXECUTION_EVENT_TYPES: Readonly<Record<string, string>> = {
  ExecutionStarted: 'ExecutionStarted',
  ExecutionSucceeded: 'ExecutionSucceeded',
  ExecutionFailed: 'ExecutionFailed',
  ExecutionAborted: 'ExecutionAborted',
  ExecutionTimeout: 'ExecutionTimedOut',
};

const seconds = (millis: number): number => millis / 1000;
const text = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value ?? null));

type Draft = Omit<HistoryEvent, 'id' | 'previousEventId'>;

function taskEvents(attempt: TaskAttempt, timestamp: number, region: string, withData: boolean): Draft[] {
  const { resourceType, resource } = attempt;
  const data = (key: string, value: unknown) => (withData ? { [key]: text(value) } : {});
  const one = (event: TaskEvent): Draft[] => {
    switch (event.kind) {
      case 'scheduled':
        return [
          { type: 'TaskScheduled', timestamp, taskScheduledEventDetails: { resourceType, resource, region, ...data('parameters', event.parameters) } },
          { type: 'TaskStarted', timestamp, taskStartedEventDetails: { resourceType, resource } },
        ];
      case 'submitted':
        return [{ type: 'TaskSubmitted', timestamp, taskSubmittedEventDetails: { resourceType, resource, ...data('output', event.output) } }];
      case 'succeeded':
        return [{ type: 'TaskSucceeded', timestamp, taskSucceededEventDetails: { resourceType, resource, ...data('output', event.output) } }];
      case 'failed':
        return [{ type: 'TaskFailed', timestamp, taskFailedEventDetails: { resourceType, resource, error: event.error, cause: event.cause } }];
    }
  };
  return attempt.events.flatMap(one);
}

/** The full history of an execution, oldest first. */
export function executionHistory(record: ExecutionRecord, attempts: readonly TaskAttempt[], roleArn: string, region: string, withData = true): HistoryEvent[] {
  const pending = new Map<string, TaskAttempt[]>();
  for (const attempt of attempts) pending.set(attempt.stateName, [...(pending.get(attempt.stateName) ?? []), attempt]);
  const nextAttempt = (event: ExecutionEvent): Draft[] => {
    const attempt = event.state === undefined ? undefined : pending.get(event.state.name)?.shift();
    return attempt === undefined ? [] : taskEvents(attempt, seconds(event.timestamp), region, withData);
  };
  const data = (key: string, value: unknown) => (withData && value !== undefined ? { [key]: text(value) } : {});

  const drafts: Draft[] = record.events.flatMap((event): Draft[] => {
    const timestamp = seconds(event.timestamp);
    const executionType = EXECUTION_EVENT_TYPES[event.type];
    if (executionType === 'ExecutionStarted') {
      return [{ type: executionType, timestamp, executionStartedEventDetails: { ...data('input', record.inputText), roleArn } }];
    }
    if (executionType === 'ExecutionSucceeded') return [{ type: executionType, timestamp, executionSucceededEventDetails: { ...data('output', record.output) } }];
    if (executionType === 'ExecutionFailed') {
      return [{ type: executionType, timestamp, executionFailedEventDetails: { error: event.Error, cause: text(event.Cause) } }];
    }
    if (executionType === 'ExecutionAborted') {
      const stop = record.stopRequest;
      return [{ type: executionType, timestamp, executionAbortedEventDetails: { ...(stop?.error !== undefined && { error: stop.error }), ...(stop?.cause !== undefined && { cause: stop.cause }) } }];
    }
    if (executionType !== undefined) return [{ type: executionType, timestamp }];
    if (event.state === undefined) return [];
    const kind = event.state.type;
    switch (event.type) {
      case 'StateEntered':
        return [
          { type: `${kind}StateEntered`, timestamp, stateEnteredEventDetails: { name: event.state.name, ...data('input', event.state.input) } },
          ...(kind === 'Task' ? nextAttempt(event) : []),
        ];
      case 'StateRetried':
        return nextAttempt(event);
      case 'StateExited':
        return kind === 'Fail' ? [] : [{ type: `${kind}StateExited`, timestamp, stateExitedEventDetails: { name: event.state.name, ...data('output', event.state.output) } }];
      default:
        // StateFailed and StateCaught: a task's failure is its TaskFailed; a Fail state's is ExecutionFailed.
        return [];
    }
  });
  return drafts.map((draft, index) => ({ id: index + 1, previousEventId: index, ...draft }) as HistoryEvent);
}

/** `{events, nextToken}` pages and `{executions, nextToken}` pages use the offset as token. */
function page<T>(items: readonly T[], maxResults: unknown, nextToken: unknown): { items: T[]; nextToken?: string } {
  const size = typeof maxResults === 'number' && maxResults > 0 ? Math.min(maxResults, 1000) : 100;
  const start = typeof nextToken === 'string' && /^\d+$/.test(nextToken) ? Number(nextToken) : 0;
  const end = start + size;
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: String(end) } : {}) };
}

/** The operations served. */
export const STEP_FUNCTIONS_OPERATIONS = ['StartExecution', 'StopExecution', 'DescribeExecution', 'ListExecutions', 'GetExecutionHistory'] as const;

/** The Step Functions API of the twin's state machines. */
export class StepFunctionsApi {
  constructor(
    private readonly runners: readonly StateMachineRunner[],
    private readonly history: TaskHistory,
    private readonly options: { readonly region: string },
  ) {}

  /** Answers one operation (`AWSStepFunctions.<Operation>`); throws StepFunctionsError as the service does. */
  handle(operation: string, request: Record<string, unknown>): object {
    switch (operation) {
      case 'StartExecution':
        return this.runnerOf(request.stateMachineArn).startExecution(request);
      case 'StopExecution':
        return this.runnerOfExecution(request.executionArn).stopExecution(request);
      case 'DescribeExecution':
        return this.describeExecution(request);
      case 'ListExecutions':
        return this.listExecutions(request);
      case 'GetExecutionHistory':
        return this.getExecutionHistory(request);
      default:
        throw new StepFunctionsError('UnknownOperationException', `Operation ${operation} is not served by the twin`);
    }
  }

  private runnerOf(stateMachineArn: unknown): StateMachineRunner {
    if (typeof stateMachineArn !== 'string' || !/^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/.test(stateMachineArn)) {
      throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${String(stateMachineArn)}'`);
    }
    const runner = this.runners.find((r) => r.stateMachineArn === stateMachineArn);
    if (runner === undefined) throw new StepFunctionsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    return runner;
  }

  private runnerOfExecution(arn: unknown): StateMachineRunner {
    if (typeof arn !== 'string' || !/^arn:[a-z-]+:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/.test(arn)) {
      throw new StepFunctionsError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    }
    const machine = arn.slice(0, arn.lastIndexOf(':')).replace(':execution:', ':stateMachine:');
    const runner = this.runners.find((r) => r.stateMachineArn === machine);
    if (runner === undefined) throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return runner;
  }

  private execution(arn: unknown): { runner: StateMachineRunner; record: ExecutionRecord } {
    const runner = this.runnerOfExecution(arn);
    const record = runner.describe(arn as string);
    if (record === undefined) throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
    return { runner, record };
  }

  private summary(runner: StateMachineRunner, record: ExecutionRecord): Record<string, unknown> {
    return {
      executionArn: record.executionArn,
      stateMachineArn: runner.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: seconds(record.startDate.getTime()),
      ...(record.stopDate !== undefined && { stopDate: seconds(record.stopDate.getTime()) }),
    };
  }

  private describeExecution(request: Record<string, unknown>): object {
    const { runner, record } = this.execution(request.executionArn);
    return {
      ...this.summary(runner, record),
      input: record.inputText,
      inputDetails: { included: true },
      ...(record.output !== undefined && { output: JSON.stringify(record.output), outputDetails: { included: true } }),
      ...(record.error !== undefined && { error: record.error }),
      ...(record.cause !== undefined && { cause: record.cause }),
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'The twin does not redrive executions',
    };
  }

  private listExecutions(request: Record<string, unknown>): object {
    const runner = this.runnerOf(request.stateMachineArn);
    // Newest first, as the service lists them.
    const matching = runner.executions.filter((e) => request.statusFilter === undefined || e.status === request.statusFilter).reverse();
    const { items, nextToken } = page(matching, request.maxResults, request.nextToken);
    return { executions: items.map((e) => this.summary(runner, e)), ...(nextToken !== undefined && { nextToken }) };
  }

  private getExecutionHistory(request: Record<string, unknown>): object {
    const { runner, record } = this.execution(request.executionArn);
    const all = executionHistory(record, this.history.attemptsOf(record.executionArn), runner.roleArn, this.options.region, request.includeExecutionData !== false);
    const ordered = request.reverseOrder === true ? all.reverse() : all;
    const { items, nextToken } = page(ordered, request.maxResults, request.nextToken);
    return { events: items, ...(nextToken !== undefined && { nextToken }) };
  }
}
