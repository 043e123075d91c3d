/**
 * The routes of one query: `GET /queries/{id}` (status), `DELETE /queries/{id}` (cancel) and
 * `GET /queries/{id}/result` (a fresh result link). The id is the execution name; the facts come from Step Functions and
 * Athena, never from the request.
 */
import { isObject } from '../json';
import { presignResult } from '../presign';
import { parseS3Location } from '../s3-location';
import {
  describeExecution,
  type ExecutionFacts,
  executionHistory,
  type HistoryFact,
  queryExecution,
  startExecution,
  stopExecution,
  stopQueryExecution,
} from './aws';
import { executionArnOf, type QueryApiConfig } from './config';
import { InconsistentStateError, QueryConflictError, QueryNotFoundError } from './errors';
import { deliveredOutcome, deriveQueryStatus, needsLiveQuery, type QueryStatus, type StatusFacts, startedQueryId } from './query-status';

/** The error and cause a query's execution is stopped with when it is cancelled before Athena started the query. */
export const CANCEL_BEFORE_START = {
  error: 'QueryCancelled',
  cause: 'Cancelled through DELETE /queries/{id} before Athena started the query; the cancellation state machine delivers the CANCELLED callback.',
} as const;

/** Everything known about a query. */
async function factsOf(queryId: string, config: QueryApiConfig): Promise<StatusFacts> {
  const execution = await describeExecution(executionArnOf(config.stateMachineArn, queryId));
  if (execution === undefined) throw new QueryNotFoundError(queryId);
  const history = await executionHistory(execution.executionArn);
  const live = needsLiveQuery(history);
  const query = live === undefined ? undefined : await queryExecution(live);
  let cancellation: StatusFacts['cancellation'];
  if (execution.status === 'ABORTED') {
    const cancelled = await describeExecution(executionArnOf(config.cancellationStateMachineArn, queryId));
    if (cancelled !== undefined) cancellation = { execution: cancelled, history: await executionHistory(cancelled.executionArn) };
  }
  return { queryId, execution, history, ...(query !== undefined && { query }), ...(cancellation !== undefined && { cancellation }) };
}

/** `GET /queries/{id}`. @throws QueryNotFoundError */
export async function queryStatus(queryId: string, config: QueryApiConfig): Promise<QueryStatus> {
  return deriveQueryStatus(await factsOf(queryId, config));
}

/** The answer of a cancel. */
export interface CancelAnswer {
  readonly queryId: string;
  /** CANCELLING: Athena is stopping the query; CANCELLED: it had not started, and never will. */
  readonly status: 'CANCELLING' | 'CANCELLED';
}

function finished(queryId: string, status: string, why: string): QueryConflictError {
  return new QueryConflictError(`Query '${queryId}' ${why}: ${status}. There is nothing to cancel.`, { queryId, status });
}

/**
 * Starts the cancellation machine's execution for a stopped query execution: same name, so the callback names the
 * original execution. Idempotent: an execution of that name already there means the callback is on its way.
 */
async function startCancellation(execution: ExecutionFacts, queryId: string, config: QueryApiConfig): Promise<void> {
  const input = execution.input === undefined ? undefined : (JSON.parse(execution.input) as unknown);
  const callbackUrl = isObject(input) && typeof input.CallbackUrl === 'string' ? input.CallbackUrl : undefined;
  if (callbackUrl === undefined) throw new InconsistentStateError(`Execution ${execution.executionArn} has no CallbackUrl in its input: no CANCELLED callback can be sent`);
  await startExecution(
    config.cancellationStateMachineArn,
    queryId,
    JSON.stringify({ ExecutionArn: execution.executionArn, ExecutionStartTime: execution.startDate.toISOString(), CallbackUrl: callbackUrl }),
  );
}

/** Whether the query reached an outcome the state machine is delivering (or delivered). */
function hasOutcome(history: readonly HistoryFact[]): boolean {
  return deliveredOutcome(history) !== undefined;
}

/**
 * `DELETE /queries/{id}`.
 *
 * - The query runs (its id is in the history): athena:StopQueryExecution. The `.sync` task then fails with the
 *   CANCELLED query and the state machine delivers the CANCELLED callback as any other outcome (retries, dead
 *   letter). Never StopExecution here: an ABORTED execution runs no later state, so no callback would be sent.
 * - The query has not started (StartQueryExecution is being retried): states:StopExecution of the execution (Step
 *   Functions also stops a query the `.sync` task may have just started), then states:StartExecution of the
 *   cancellation machine, which delivers the CANCELLED callback as the stopped execution.
 * - It finished: 409 with its final state.
 *
 * @throws QueryNotFoundError, QueryConflictError
 */
export async function cancelQuery(queryId: string, config: QueryApiConfig): Promise<CancelAnswer> {
  const facts = await factsOf(queryId, config);
  const { execution, history } = facts;
  const status = deriveQueryStatus(facts);
  if (execution.status === 'ABORTED') {
    if (facts.cancellation !== undefined) throw finished(queryId, 'CANCELLED', 'was already cancelled');
    if (hasOutcome(history)) throw finished(queryId, status.status, 'finished before its execution was stopped');
    // Stopped before its query started, but the cancellation machine never started (a DELETE that failed half-way, or
    // a StopExecution made outside this API): complete the cancel so the caller still gets its callback.
    await startCancellation(execution, queryId, config);
    return { queryId, status: 'CANCELLED' };
  }
  if (execution.status !== 'RUNNING') throw finished(queryId, status.status, 'already finished');
  if (hasOutcome(history)) throw finished(queryId, status.status, 'already finished, and its callback is being delivered');

  const started = startedQueryId(history);
  if (started !== undefined) {
    if (['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(status.status)) throw finished(queryId, status.status, 'already finished');
    await stopQueryExecution(started);
    // A query that finished while the stop was on its way keeps its state (StopQueryExecution does nothing to it).
    const after = await queryExecution(started);
    if (after !== undefined && (after.state === 'SUCCEEDED' || after.state === 'FAILED')) throw finished(queryId, after.state, 'finished before the cancel reached Athena');
    return { queryId, status: 'CANCELLING' };
  }

  await stopExecution(execution.executionArn, CANCEL_BEFORE_START.error, CANCEL_BEFORE_START.cause);
  // The query may have finished between the history read and the stop (a result reused in milliseconds): then its
  // callback was already under way, and a CANCELLED one would contradict it.
  const afterStop = await executionHistory(execution.executionArn);
  if (hasOutcome(afterStop)) {
    const now = deriveQueryStatus({ ...facts, history: afterStop, execution: (await describeExecution(execution.executionArn)) ?? execution });
    throw finished(queryId, now.status, 'finished before the cancel reached it');
  }
  await startCancellation(execution, queryId, config);
  return { queryId, status: 'CANCELLED' };
}

/** The answer of a result link. */
export interface ResultAnswer {
  readonly queryId: string;
  readonly presignedUrl: string;
  /** Seconds the URL stays valid: the requested lifetime, cut to what the signing session has left. */
  readonly expiredIn: number;
}

/**
 * `GET /queries/{id}/result`: a URL presigned now, with the presigner role (handler/presign.ts, the callbacker's path),
 * for the result object Athena names (GetQueryExecution), only when it lies under this module's output location.
 *
 * @throws QueryNotFoundError, QueryConflictError (not SUCCEEDED), InconsistentStateError (outside the output location)
 */
export async function resultLink(queryId: string, config: QueryApiConfig): Promise<ResultAnswer> {
  const status = await queryStatus(queryId, config);
  if (status.status !== 'SUCCEEDED' || status.queryExecutionId === undefined) {
    throw new QueryConflictError(`Query '${queryId}' is ${status.status}; a result link exists only once it SUCCEEDED`, { queryId, status: status.status });
  }
  const query = await queryExecution(status.queryExecutionId);
  if (query === undefined || query.state !== 'SUCCEEDED' || query.outputLocation === undefined) {
    throw new InconsistentStateError(`Athena reports query ${status.queryExecutionId} as ${query?.state ?? 'unknown'} with no result location`, { queryId });
  }
  const location = parseS3Location(query.outputLocation);
  const root = config.outputLocation;
  if (location.bucket !== root.bucket || !location.key.startsWith(root.prefix)) {
    throw new InconsistentStateError(
      `The result of query ${status.queryExecutionId} lies outside this module's output location s3://${root.bucket}/${root.prefix}; no link is made for it`,
      { queryId },
    );
  }
  const presigned = await presignResult(location, config.presignExpirySeconds, config.presignerRoleArn);
  return { queryId, presignedUrl: presigned.url, expiredIn: presigned.expiredIn };
}
