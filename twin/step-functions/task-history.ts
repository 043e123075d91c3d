/**
 * What each Task state of an execution asked of its service and got back, attempt by attempt: the task-level events
 * of Step Functions' execution history (TaskScheduled, TaskStarted, TaskSubmitted, TaskSucceeded, TaskFailed). The
 * interpreter logs states, not tasks, so the twin's integrations record these; step-functions-api.ts weaves both into
 * GetExecutionHistory.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
 */
import type { TaskJson } from './service-integrations';

/** One task-level event. */
export type TaskEvent =
  | { readonly kind: 'scheduled'; readonly parameters: TaskJson }
  | { readonly kind: 'submitted'; readonly output: TaskJson }
  | { readonly kind: 'succeeded'; readonly output: TaskJson }
  | { readonly kind: 'failed'; readonly error: string; readonly cause: string };

/** One run of a Task state's handler: the first try or a retry. */
export interface TaskAttempt {
  readonly stateName: string;
  /** The service, as Step Functions names it in history events (`athena`, `lambda`, `sqs`). */
  readonly resourceType: string;
  /** The API and pattern (`startQueryExecution.sync`, `invoke`, `sendMessage`). */
  readonly resource: string;
  readonly events: TaskEvent[];
}

/** `arn:<partition>:states:::<service>:<api>[.<pattern>]` split into Step Functions' resourceType and resource. */
export function splitIntegrationArn(resourceArn: string): { resourceType: string; resource: string } {
  const match = /^arn:[a-z-]+:states:::([a-z0-9-]+):(.+)$/.exec(resourceArn);
  if (match === null) throw new Error(`Not an optimized integration ARN: ${resourceArn}`);
  return { resourceType: match[1], resource: match[2] };
}

/** The task-level history of every execution. */
export class TaskHistory {
  private readonly attempts = new Map<string, TaskAttempt[]>();

  /** Records the start of an attempt (TaskScheduled, with the Parameters-processed input) and returns it. */
  begin(executionArn: string, stateName: string, resourceArn: string, parameters: TaskJson): TaskAttempt {
    const attempt: TaskAttempt = { stateName, ...splitIntegrationArn(resourceArn), events: [{ kind: 'scheduled', parameters }] };
    const list = this.attempts.get(executionArn) ?? [];
    list.push(attempt);
    this.attempts.set(executionArn, list);
    return attempt;
  }

  /**
   * Records what the first call of a `.sync` integration answered (TaskSubmitted), on the execution's running attempt
   * of the state. A state runs one attempt at a time, so the latest attempt of the state is the running one.
   */
  submitted(executionArn: string, stateName: string, output: TaskJson): void {
    const attempt = [...(this.attempts.get(executionArn) ?? [])].reverse().find((a) => a.stateName === stateName);
    if (attempt === undefined) throw new Error(`No running attempt of ${stateName} in ${executionArn}`);
    attempt.events.push({ kind: 'submitted', output });
  }

  /** The attempts of an execution, in the order they began. */
  attemptsOf(executionArn: string): readonly TaskAttempt[] {
    return this.attempts.get(executionArn) ?? [];
  }
}
