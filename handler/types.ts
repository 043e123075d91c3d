/** Shapes of the callbacker's input (from Step Functions), its webhook payload and its result. */

/** A JSON value, as parsed from the Step Functions event. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** The final states of an Athena query. https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecutionStatus.html */
export type QueryState = 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** `QueryExecution.Status` as Athena returns it; timestamps are normally epoch milliseconds in Step Functions. */
export interface AthenaQueryExecutionStatus {
  readonly State?: string;
  readonly SubmissionDateTime?: number | string;
  readonly CompletionDateTime?: number | string;
  readonly StateChangeReason?: string;
  readonly AthenaError?: {
    readonly ErrorCategory?: number;
    readonly ErrorType?: number;
    readonly Retryable?: boolean;
    readonly ErrorMessage?: string;
  };
}

/** The parts of Athena's `QueryExecution` the callbacker reads. https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecution.html */
export interface AthenaQueryExecution {
  readonly QueryExecutionId?: string;
  readonly Status?: AthenaQueryExecutionStatus;
  readonly ResultConfiguration?: { readonly OutputLocation?: string };
  readonly Statistics?: JsonObject;
}

/** The success shape: the ResultSelector output of the `startQueryExecution.sync` task. */
export interface QuerySucceededOutcome {
  readonly QueryExecution: AthenaQueryExecution;
}

/** The failure shape: what a `Catch` with `ResultPath` stores. */
export interface QueryFailedOutcome {
  readonly Error: string;
  readonly Cause?: string;
}

export type QueryOutcome = QuerySucceededOutcome | QueryFailedOutcome;

/** The Lambda event, built by the state machine with JSONPath `Parameters`. */
export interface DeliveryRequest {
  /** `$$.Execution.Id`. */
  readonly ExecutionArn: string;
  /** `$$.Execution.StartTime`, an ISO 8601 timestamp. */
  readonly ExecutionStartTime: string;
  readonly CallbackUrl: string;
  readonly QueryOutcome: QueryOutcome;
}

/** What the handler returns to Step Functions after a 2xx answer. */
export interface DeliveryResult {
  readonly StatusCode: number;
  readonly WebhookId: string;
  readonly State: QueryState;
  /** Seconds the presigned URL stays valid; only for SUCCEEDED. */
  readonly ExpiredIn?: number;
}

/** The webhook body. Field names follow the original sample; `schemas/callback-payload.schema.json` pins them. */
export interface CallbackPayload {
  readonly State: {
    readonly State: QueryState;
    readonly SubmissionDateTime: number;
    readonly CompletionDateTime: number;
    readonly StateChangeReason?: string;
  };
  readonly QueryResult?: {
    readonly PresignedUrl: string;
    readonly ExpiredIn: number;
  };
  readonly QueryExecutionId?: string;
  readonly ExecutionArn: string;
  readonly Statistics?: JsonObject;
}
