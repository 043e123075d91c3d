/** Builders of the events the state machine sends to the callbacker. Test helper; not a suite. */
import type { DeliveryRequest } from '../../handler/types';

export const EXECUTION_START = '2026-11-25T10:00:00.000Z';

export function executionArn(name: string): string {
  return `arn:aws:states:us-east-1:123456789012:execution:async-athena:${name}`;
}

interface EventOptions {
  readonly execution?: string;
  readonly callbackUrl: string;
}

/** The ResultSelector output of startQueryExecution.sync for a SUCCEEDED query. */
export function succeededEvent(options: EventOptions & { readonly outputLocation: string; readonly queryExecutionId?: string }): DeliveryRequest {
  return {
    ExecutionArn: executionArn(options.execution ?? 'succeeded'),
    ExecutionStartTime: EXECUTION_START,
    CallbackUrl: options.callbackUrl,
    QueryOutcome: {
      QueryExecution: {
        QueryExecutionId: options.queryExecutionId ?? 'qid-1',
        Status: { State: 'SUCCEEDED', SubmissionDateTime: 1645062485193, CompletionDateTime: 1645062487295 },
        ResultConfiguration: { OutputLocation: options.outputLocation },
        Statistics: { DataScannedInBytes: 123, EngineExecutionTimeInMillis: 456, TotalExecutionTimeInMillis: 789, QueryQueueTimeInMillis: 12 },
      },
    },
  };
}

/** A Catch result whose Cause is the GetQueryExecution JSON of a FAILED or CANCELLED query. */
export function endedQueryEvent(
  options: EventOptions & { readonly state: 'FAILED' | 'CANCELLED'; readonly reason?: string },
): DeliveryRequest {
  const cause = {
    QueryExecution: {
      QueryExecutionId: `qid-${options.state.toLowerCase()}`,
      Status: {
        State: options.state,
        SubmissionDateTime: 1645062485193,
        CompletionDateTime: 1645062487295,
        ...(options.reason !== undefined && { StateChangeReason: options.reason }),
      },
      ResultConfiguration: { OutputLocation: 's3://results/athena/never-written.csv' },
    },
  };
  return {
    ExecutionArn: executionArn(options.execution ?? options.state.toLowerCase()),
    ExecutionStartTime: EXECUTION_START,
    CallbackUrl: options.callbackUrl,
    QueryOutcome: { Error: 'States.TaskFailed', Cause: JSON.stringify(cause) },
  };
}

/** A Catch result with a free-text Cause (throttling, timeout, ...). */
export function caughtErrorEvent(options: EventOptions & { readonly error: string; readonly cause: string }): DeliveryRequest {
  return {
    ExecutionArn: executionArn(options.execution ?? 'caught'),
    ExecutionStartTime: EXECUTION_START,
    CallbackUrl: options.callbackUrl,
    QueryOutcome: { Error: options.error, Cause: options.cause },
  };
}
