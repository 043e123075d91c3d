/**
 * The HTTP contract of the query API as the client sees it: request and response bodies of each route, with the
 * API's own field names. The routes are served by the module's query API function behind API Gateway (`AWS_IAM`).
 */

/**
 * State of the *query* (not of the Step Functions execution that runs it): QUEUED until Athena runs it (also while
 * a start is being retried because of Athena's quota), RUNNING while Athena runs it, then Athena's final state.
 * https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecutionStatus.html
 */
export type QueryState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** The states after which a query never changes again. */
export const FINAL_QUERY_STATES: readonly QueryState[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** True for SUCCEEDED, FAILED and CANCELLED. */
export function isFinalQueryState(state: string): state is 'SUCCEEDED' | 'FAILED' | 'CANCELLED' {
  return (FINAL_QUERY_STATES as readonly string[]).includes(state);
}

/** Where the callback of a query stands. */
export type CallbackStatus = 'pending' | 'delivered' | 'dead-lettered' | 'not-applicable';

/** Body of `POST /queries`. No other property is accepted. */
export interface SubmitQueryRequest {
  /** The SQL to run in Athena. */
  readonly Query: string;
  /** The `https://` URL the outcome is POSTed to, as a signed Standard Webhooks callback. */
  readonly CallbackUrl: string;
  /**
   * Values of the query's `?` placeholders, in order, each 1..1024 characters; they are SQL literals, so a string is
   * quoted (`'2024-01-01'`) and a number is not (`42`).
   * https://docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html
   *
   * @default - none
   */
  readonly ExecutionParameters?: readonly string[];
  /**
   * Reuse the result of an identical query that ran at most this many minutes ago (0..10080; 0 disables reuse).
   * https://docs.aws.amazon.com/athena/latest/ug/reusing-query-results.html
   *
   * @default - no reuse
   */
  readonly ResultReuseMaxAgeMinutes?: number;
}

/** Answer of `POST /queries` (200). */
export interface SubmittedQuery {
  /** ARN of the Step Functions execution that runs the query. */
  readonly executionArn: string;
  /** When the execution started, in epoch seconds. */
  readonly startDate: number;
  /** The execution name: the id every other route takes. The `Idempotency-Key` when one was sent. */
  readonly queryId: string;
}

/** Athena's statistics of a query execution, as far as the API reports them. https://docs.aws.amazon.com/athena/latest/APIReference/API_QueryExecutionStatistics.html */
export interface QueryStatistics {
  readonly DataScannedInBytes?: number;
  readonly EngineExecutionTimeInMillis?: number;
  readonly TotalExecutionTimeInMillis?: number;
  readonly QueryQueueTimeInMillis?: number;
  readonly QueryPlanningTimeInMillis?: number;
  readonly ServiceProcessingTimeInMillis?: number;
  readonly [field: string]: unknown;
}

/** Answer of `GET /queries/{id}` (200). */
export interface QueryStatus {
  readonly queryId: string;
  readonly executionArn: string;
  readonly status: QueryState;
  /** ISO 8601. */
  readonly startDate: string;
  /** ISO 8601, once the execution has ended. */
  readonly stopDate?: string;
  /** Why the query failed or was cancelled. */
  readonly stateChangeReason?: string;
  /** Athena's QueryExecutionId, once the query has started. */
  readonly queryExecutionId?: string;
  readonly statistics?: QueryStatistics;
  readonly callback: { readonly status: CallbackStatus; readonly [field: string]: unknown };
}

/** Answer of `DELETE /queries/{id}` (202). */
export interface CancelledQuery {
  readonly queryId: string;
  /** CANCELLING: Athena was asked to stop the running query; CANCELLED: it had not started and never will. */
  readonly status: 'CANCELLING' | 'CANCELLED';
}

/** Answer of `GET /queries/{id}/result` (200). */
export interface ResultLink {
  readonly queryId: string;
  /** A presigned S3 GET URL of the result CSV. It is a bearer credential until it expires: keep it out of logs. */
  readonly presignedUrl: string;
  /** Seconds the URL stays valid from now. */
  readonly expiredIn: number;
}

/** An error answer: every error of the query API has at least a message. */
export interface ApiErrorBody {
  readonly message?: string;
  readonly requestId?: string;
  readonly [field: string]: unknown;
}
