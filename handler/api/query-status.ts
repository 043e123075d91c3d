/**
 * A query's status, derived from what Step Functions and Athena recorded: the execution (DescribeExecution), its
 * history (GetExecutionHistory), the query itself (GetQueryExecution, while no outcome is recorded yet) and, for a
 * query cancelled before it started, the cancellation machine's execution. Pure: the routes fetch the facts.
 *
 * The query's status comes, in this order, from:
 * 1. the outcome the state machine handed the callbacker (DeliverCallback's TaskScheduled): final, and exactly what
 *    the callback says (a `States.Timeout` or a start that never succeeded is FAILED with the reason);
 * 2. Athena, once StartQueryExecution has answered (StartQuery's TaskSubmitted holds the QueryExecutionId): QUEUED,
 *    RUNNING, or a final state the state machine has not delivered yet;
 * 3. otherwise the execution: QUEUED while StartQueryExecution is being retried (Athena's active-query quota is full),
 *    CANCELLED when the execution was stopped before the query started, FAILED when it failed before any outcome.
 */
import { CANCELLED_BEFORE_START_REASON, DEAD_LETTER_WRITE_FAILED_ERROR, DELIVERY_FAILED_ERROR } from '../../constructs/builders/asl';
import { isObject, parseJsonOrUndefined } from '../json';
import { normaliseOutcome, truncate } from '../outcome';
import type { JsonObject } from '../types';
import { webhookIdFor } from '../webhook-id';
import type { ExecutionFacts, HistoryFact, QueryFacts } from './aws';

/** A query's states, as the API reports them. */
export type QueryStatusName = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** Where the callback is. */
export type CallbackStatusName = 'pending' | 'delivered' | 'dead-lettered' | 'not-applicable';

/** The callback part of a status. */
export interface CallbackStatus {
  readonly status: CallbackStatusName;
  /** The `webhook-id` every delivery of this query's callback carries. */
  readonly webhookId: string;
  /** Invocations of the callbacker so far (each is one POST attempt, or a refusal before one). */
  readonly attempts: number;
  /** ISO 8601 time the receiver accepted the callback. */
  readonly deliveredAt?: string;
  /** The last failed attempt, while pending or once dead-lettered: error name and message. */
  readonly lastError?: string;
}

/** The answer of `GET /queries/{id}`. */
export interface QueryStatus {
  readonly queryId: string;
  readonly executionArn: string;
  readonly status: QueryStatusName;
  /** ISO 8601: when the query was submitted (the execution's start). */
  readonly startDate: string;
  /** ISO 8601: when the query reached its final state. */
  readonly stopDate?: string;
  readonly stateChangeReason?: string;
  readonly queryExecutionId?: string;
  readonly statistics?: JsonObject;
  readonly callback: CallbackStatus;
}

/** The facts a status is derived from. */
export interface StatusFacts {
  readonly queryId: string;
  readonly execution: ExecutionFacts;
  /** The execution's history, oldest first. */
  readonly history: readonly HistoryFact[];
  /** The query as Athena reports it now, when one was started and no outcome is recorded yet. */
  readonly query?: QueryFacts;
  /** The cancellation machine's execution of the same name and its history, when there is one. */
  readonly cancellation?: { readonly execution: ExecutionFacts; readonly history: readonly HistoryFact[] };
}

const FINAL_QUERY_STATES: readonly string[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];
const ATHENA_STATES: readonly QueryStatusName[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];
/** Longest error text a status repeats. */
const MAX_ERROR_CHARS = 1000;

const isStartQuery = (e: HistoryFact): boolean => e.resourceType === 'athena' && (e.resource ?? '').startsWith('startQueryExecution');
const isDelivery = (e: HistoryFact): boolean => e.resourceType === 'lambda' && e.resource === 'invoke';

/** The QueryExecutionId StartQueryExecution answered (StartQuery's TaskSubmitted), if it has. */
export function startedQueryId(history: readonly HistoryFact[]): string | undefined {
  const submitted = history.filter((e) => e.type === 'TaskSubmitted' && isStartQuery(e)).at(-1);
  const output = parseJsonOrUndefined(submitted?.output);
  return isObject(output) && typeof output.QueryExecutionId === 'string' ? output.QueryExecutionId : undefined;
}

/** The outcome the state machine handed the callbacker, with when it first did; undefined before DeliverCallback ran. */
export function deliveredOutcome(history: readonly HistoryFact[]): { readonly outcome: object; readonly at: Date } | undefined {
  const scheduled = history.filter((e) => e.type === 'TaskScheduled' && isDelivery(e));
  const parameters = parseJsonOrUndefined(scheduled.at(-1)?.parameters);
  const payload = isObject(parameters) && isObject(parameters.Payload) ? parameters.Payload : undefined;
  if (payload === undefined || !isObject(payload.QueryOutcome)) return undefined;
  return { outcome: payload.QueryOutcome, at: scheduled[0].timestamp };
}

/** The query part of a status: state, times, reason, id and statistics. */
type QueryPart = Pick<QueryStatus, 'status' | 'stopDate' | 'stateChangeReason' | 'queryExecutionId' | 'statistics'>;

function iso(millis: number | Date | undefined): string | undefined {
  if (millis === undefined) return undefined;
  const date = millis instanceof Date ? millis : new Date(millis);
  return Number.isFinite(date.getTime()) ? date.toISOString() : undefined;
}

function defined<T extends object>(part: T): T {
  return Object.fromEntries(Object.entries(part).filter(([, value]) => value !== undefined)) as T;
}

function fromOutcome(facts: StatusFacts, recorded: { readonly outcome: object; readonly at: Date }): QueryPart | undefined {
  try {
    const outcome = normaliseOutcome(recorded.outcome, facts.execution.startDate.getTime(), recorded.at.getTime());
    return defined({
      status: outcome.state,
      stopDate: iso(outcome.completionDateTime),
      stateChangeReason: outcome.stateChangeReason,
      queryExecutionId: outcome.queryExecutionId ?? startedQueryId(facts.history),
      statistics: outcome.statistics,
    });
  } catch {
    // An outcome the callbacker could not read either: fall back to what Athena and the execution say.
    return undefined;
  }
}

function fromAthena(query: QueryFacts): QueryPart {
  const status = ATHENA_STATES.find((s) => s === query.state) ?? 'RUNNING';
  return defined({
    status,
    stopDate: FINAL_QUERY_STATES.includes(status) ? iso(query.completionDateTime) : undefined,
    stateChangeReason: query.stateChangeReason === undefined ? undefined : truncate(query.stateChangeReason),
    queryExecutionId: query.queryExecutionId,
    statistics: query.statistics,
  });
}

/** Why StartQueryExecution keeps being retried: the refusals so far. */
function waitingReason(history: readonly HistoryFact[]): string | undefined {
  const refusals = history.filter((e) => e.type === 'TaskFailed' && isStartQuery(e));
  const last = refusals.at(-1);
  if (last === undefined) return undefined;
  return truncate(
    `Waiting to start: Athena refused StartQueryExecution ${refusals.length} time${refusals.length === 1 ? '' : 's'} (last: ${last.error ?? 'an error'}); Step Functions retries with backoff.`,
  );
}

function beforeAnyOutcome(facts: StatusFacts): QueryPart {
  const { execution, history } = facts;
  switch (execution.status) {
    case 'RUNNING':
    case 'PENDING_REDRIVE':
      return defined({ status: 'QUEUED' as const, stateChangeReason: waitingReason(history) });
    case 'ABORTED':
      return defined({
        status: 'CANCELLED' as const,
        stopDate: iso(execution.stopDate),
        stateChangeReason:
          facts.cancellation !== undefined
            ? CANCELLED_BEFORE_START_REASON
            : truncate(`The execution was stopped before Athena started the query${execution.error ? ` (${execution.error}${execution.cause ? `: ${execution.cause}` : ''})` : ''}.`),
      });
    default:
      return defined({
        status: 'FAILED' as const,
        stopDate: iso(execution.stopDate),
        stateChangeReason: truncate(`The execution ended ${execution.status} before the query had an outcome${execution.error ? `: ${execution.error}${execution.cause ? `: ${execution.cause}` : ''}` : ''}`),
      });
  }
}

/** `Error: message` of a failed callbacker invocation (its Cause is Lambda's {"errorType","errorMessage","trace"}). */
function errorText(event: HistoryFact): string {
  const cause = parseJsonOrUndefined(event.cause);
  const message = isObject(cause) && typeof cause.errorMessage === 'string' ? cause.errorMessage : event.cause ?? '';
  return truncate(`${event.error ?? 'Error'}: ${message}`, MAX_ERROR_CHARS);
}

/** The callback of the execution that delivers it: this one, or the cancellation machine's. */
function callbackOf(facts: StatusFacts): CallbackStatus {
  const webhookId = webhookIdFor(facts.execution.executionArn);
  const delivering = facts.execution.status === 'ABORTED' ? facts.cancellation : { execution: facts.execution, history: facts.history };
  if (delivering === undefined) return { status: 'not-applicable', webhookId, attempts: 0 };
  const attempts = delivering.history.filter((e) => e.type === 'TaskScheduled' && isDelivery(e)).length;
  const failure = delivering.history.filter((e) => e.type === 'TaskFailed' && isDelivery(e)).at(-1);
  const lastError = failure === undefined ? undefined : errorText(failure);
  switch (delivering.execution.status) {
    case 'SUCCEEDED': {
      const accepted = delivering.history.filter((e) => e.type === 'TaskSucceeded' && isDelivery(e)).at(-1);
      return defined({ status: 'delivered' as const, webhookId, attempts, deliveredAt: iso(accepted?.timestamp) });
    }
    case 'RUNNING':
    case 'PENDING_REDRIVE':
      return defined({ status: 'pending' as const, webhookId, attempts, lastError });
    case 'FAILED':
      if ([DELIVERY_FAILED_ERROR, DEAD_LETTER_WRITE_FAILED_ERROR].includes(delivering.execution.error ?? '')) {
        return defined({ status: 'dead-lettered' as const, webhookId, attempts, lastError });
      }
      return { status: 'not-applicable', webhookId, attempts };
    default:
      return { status: 'not-applicable', webhookId, attempts };
  }
}

/** Derives the status of a query from its facts. */
export function deriveQueryStatus(facts: StatusFacts): QueryStatus {
  const recorded = deliveredOutcome(facts.history);
  const query: QueryPart =
    (recorded === undefined ? undefined : fromOutcome(facts, recorded)) ?? (facts.query !== undefined ? fromAthena(facts.query) : beforeAnyOutcome(facts));
  return {
    queryId: facts.queryId,
    executionArn: facts.execution.executionArn,
    status: query.status,
    startDate: iso(facts.execution.startDate) ?? new Date(0).toISOString(),
    ...defined({ stopDate: query.stopDate, stateChangeReason: query.stateChangeReason, queryExecutionId: query.queryExecutionId, statistics: query.statistics }),
    callback: callbackOf(facts),
  };
}

/** Whether the status needs Athena's word: a query was started and the state machine has recorded no outcome yet. */
export function needsLiveQuery(history: readonly HistoryFact[]): string | undefined {
  return deliveredOutcome(history) === undefined ? startedQueryId(history) : undefined;
}
