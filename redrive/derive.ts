/**
 * Re-derives a delivery from AWS, trusting nothing a dead-letter record says.
 *
 * Anyone who could put a message on the queue could otherwise make redrive deliver a signed callback, with a working
 * presigned URL to another query's results, to a URL of their choosing. So the record only points at an execution,
 * and redrive delivers what AWS itself recorded about it:
 *
 * - the execution belongs to this module's state machine and FAILED with CallbackDeliveryFailed or
 *   CallbackDeadLetterWriteFailed (DescribeExecution);
 * - or it belongs to this module's cancellation state machine (a query cancelled before it started), FAILED likewise,
 *   and the execution it delivers for is the query machine's execution of the same name, ABORTED, started when the
 *   input says, with the same callback URL (DescribeExecution of both): the callback is that execution's CANCELLED one;
 * - its start time is the one the state machine sent the callbacker (GetExecutionHistory), so the redelivered body is
 *   the original one but for the fresh presigned URL;
 * - the callback URL is the one in the execution's input (DescribeExecution);
 * - the query is the one this execution started: the QueryExecutionId of its StartQueryExecution answer
 *   (GetExecutionHistory, TaskSubmitted), and the outcome is what the state machine handed the callbacker
 *   (GetExecutionHistory, the callbacker's TaskScheduled);
 * - the result location is Athena's (GetQueryExecution), and must lie under this module's output location.
 *
 * Any claim the record makes that disagrees is refused with a message that never shows a URL's query or user info.
 */
import { DEAD_LETTER_WRITE_FAILED_ERROR, DELIVERY_FAILED_ERROR } from '../constructs/builders/asl';
import { type S3Location, parseOutputLocation } from '../constructs/builders/s3-location';
import { isObject, parseJsonOrUndefined } from '../handler/json';
import { parseS3Location } from '../handler/s3-location';
import { redactUrl } from '../handler/ssrf';
import type { DeliveryRequest, JsonObject, QueryOutcome } from '../handler/types';
import type { RecordClaims } from './dead-letter-record';

/** The errors of executions redrive delivers: the callback could not be delivered (and maybe not recorded either). */
export const REDRIVABLE_ERRORS: readonly string[] = [DELIVERY_FAILED_ERROR, DEAD_LETTER_WRITE_FAILED_ERROR];

/** What DescribeExecution says about an execution. */
export interface ExecutionDescription {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly status: string;
  readonly startDate: Date;
  readonly stopDate?: Date;
  /** The execution input, JSON text. */
  readonly input?: string;
  readonly error?: string;
}

/** The fields of a history event redrive reads. */
export interface TaskHistoryEvent {
  readonly type: string;
  readonly resourceType?: string;
  readonly resource?: string;
  /** TaskScheduled's parameters, JSON text. */
  readonly parameters?: string;
  /** TaskSubmitted's output, JSON text. */
  readonly output?: string;
}

/** An execution as ListExecutions lists it. */
export interface ExecutionListing {
  readonly executionArn: string;
  readonly stopDate?: Date;
}

/** The Step Functions calls redrive makes. */
export interface StepFunctionsReader {
  /** DescribeExecution; undefined when the execution does not exist. */
  describeExecution(executionArn: string): Promise<ExecutionDescription | undefined>;
  /** GetExecutionHistory, every page, task events only. */
  taskEvents(executionArn: string): Promise<readonly TaskHistoryEvent[]>;
  /** ListExecutions with statusFilter FAILED, every page. */
  failedExecutions(stateMachineArn: string): Promise<readonly ExecutionListing[]>;
}

/** What GetQueryExecution says about a query (timestamps as ISO 8601 text). */
export interface QueryExecutionDescription {
  readonly QueryExecutionId: string;
  readonly Status: { readonly State?: string; readonly SubmissionDateTime?: string; readonly CompletionDateTime?: string; readonly StateChangeReason?: string };
  readonly ResultConfiguration?: { readonly OutputLocation?: string };
  readonly Statistics?: JsonObject;
}

/** The Athena call redrive makes. */
export interface AthenaReader {
  /** GetQueryExecution; undefined when the query does not exist. */
  getQueryExecution(queryExecutionId: string): Promise<QueryExecutionDescription | undefined>;
}

/** The deployment a redrive serves: its state machines and its output location (`s3://bucket/prefix/`). */
export interface RedriveDeployment {
  /** The query state machine (`terraform output state_machine_arn`). */
  readonly stateMachineArn: string;
  /**
   * The cancellation state machine (`terraform output cancellation_state_machine_arn`), whose executions deliver the
   * callbacks of queries cancelled before they started.
   *
   * @default - its executions are refused
   */
  readonly cancellationStateMachineArn?: string;
  readonly outputLocation: string;
}

/** A record, or an execution, redrive will not deliver; the message says which claim or fact failed. */
export class RedriveRefusedError extends Error {
  constructor(executionArn: string, reason: string) {
    super(`refused ${executionArn}: ${reason}`);
    this.name = 'RedriveRefusedError';
  }
}

/** A URL for a message: scheme, host and path only; its query and user info may hold tokens. */
function shown(url: string): string {
  try {
    return redactUrl(new URL(url));
  } catch {
    return `(not a URL, ${url.length} characters)`;
  }
}

const EXECUTION_ARN = /^arn:([a-z-]+):states:([a-z0-9-]+):(\d{12}):execution:([^:]+):([^:]+)$/;

/** The state machine an execution ARN belongs to, or undefined when it is not an execution ARN. */
export function stateMachineOf(executionArn: string): string | undefined {
  const match = EXECUTION_ARN.exec(executionArn);
  return match === null ? undefined : `arn:${match[1]}:states:${match[2]}:${match[3]}:stateMachine:${match[4]}`;
}

/** The execution name of an execution ARN (its last part). */
function executionNameOf(executionArn: string): string | undefined {
  return EXECUTION_ARN.exec(executionArn)?.[5];
}

/** The QueryExecution an outcome carries: the success shape, or a failed query's GetQueryExecution JSON Cause. */
function queryExecutionOf(outcome: unknown): Record<string, unknown> | undefined {
  if (!isObject(outcome)) return undefined;
  if (isObject(outcome.QueryExecution)) return outcome.QueryExecution;
  const cause = typeof outcome.Cause === 'string' ? parseJsonOrUndefined(outcome.Cause) : undefined;
  return isObject(cause) && isObject(cause.QueryExecution) ? cause.QueryExecution : undefined;
}

function outputLocationOf(execution: Record<string, unknown> | undefined): string | undefined {
  const configuration = execution?.ResultConfiguration;
  return isObject(configuration) && typeof configuration.OutputLocation === 'string' ? configuration.OutputLocation : undefined;
}

function inside(location: string, root: S3Location): boolean {
  let parsed;
  try {
    parsed = parseS3Location(location);
  } catch {
    return false;
  }
  return parsed.bucket === root.bucket && parsed.key.startsWith(root.prefix);
}

/**
 * The delivery request for the execution a record (or an unrecorded failure) points to, derived from AWS.
 *
 * @throws RedriveRefusedError when the execution is not one this redrive may deliver, or a claim disagrees
 */
export async function deriveDeliveryRequest(
  claims: RecordClaims,
  deployment: RedriveDeployment,
  stepFunctions: StepFunctionsReader,
  athena: AthenaReader,
): Promise<DeliveryRequest> {
  const arn = claims.executionArn;
  const refuse = (reason: string): never => {
    throw new RedriveRefusedError(arn, reason);
  };
  const root = parseOutputLocation(deployment.outputLocation);
  if (root === undefined) throw new Error(`outputLocation must be s3://bucket/prefix/, got ${JSON.stringify(deployment.outputLocation)}`);

  // --- The execution: one of this deployment's state machines', failed with a delivery error -----------------
  const owner = stateMachineOf(arn);
  if (owner === undefined) refuse('ExecutionArn is not a Step Functions execution ARN');
  const machines = [deployment.stateMachineArn, ...(deployment.cancellationStateMachineArn === undefined ? [] : [deployment.cancellationStateMachineArn])];
  if (!machines.includes(owner as string)) refuse(`the execution belongs to state machine ${owner}, not to ${machines.join(' or ')}`);
  const cancellation = owner === deployment.cancellationStateMachineArn;
  if (claims.stateMachineArn !== undefined && claims.stateMachineArn !== owner) {
    refuse(`the record names state machine ${claims.stateMachineArn}, not ${owner}`);
  }
  const execution = await stepFunctions.describeExecution(arn);
  if (execution === undefined) return refuse('Step Functions has no such execution');
  if (execution.stateMachineArn !== owner) refuse(`Step Functions says it belongs to ${execution.stateMachineArn}`);
  if (execution.status !== 'FAILED' || !REDRIVABLE_ERRORS.includes(execution.error ?? '')) {
    refuse(`it ended ${execution.status}${execution.error ? ` with ${execution.error}` : ''}; only executions that FAILED with ${REDRIVABLE_ERRORS.join(' or ')} are redriven`);
  }

  // --- The callback URL: the execution input's ------------------------------------------------------------------
  const input = parseJsonOrUndefined(execution.input);
  const callbackUrl = isObject(input) && typeof input.CallbackUrl === 'string' ? input.CallbackUrl : refuse('its input holds no CallbackUrl');
  if (claims.callbackUrl !== undefined && claims.callbackUrl !== callbackUrl) {
    const [claimed, actual] = [shown(claims.callbackUrl), shown(callbackUrl)];
    refuse(
      claimed === actual
        ? `the record's CallbackUrl differs from the execution input's ${actual} in its query or user info`
        : `the record's CallbackUrl ${claimed} differs from the execution input's ${actual}`,
    );
  }

  if (cancellation) return deriveCancellation(arn, execution, callbackUrl, input as Record<string, unknown>, claims, deployment, stepFunctions, refuse);

  // --- The query and the outcome: the execution's own history -------------------------------------------------
  const events = await stepFunctions.taskEvents(arn);
  const started = new Set(
    events
      .filter((e) => e.type === 'TaskSubmitted' && e.resourceType === 'athena' && e.resource?.startsWith('startQueryExecution'))
      .map((e) => parseJsonOrUndefined(e.output))
      .flatMap((o) => (isObject(o) && typeof o.QueryExecutionId === 'string' ? [o.QueryExecutionId] : [])),
  );
  if (started.size > 1) refuse(`its history shows ${started.size} different queries started`);
  const [queryExecutionId] = [...started];
  const payload = callbackerPayloads(events).at(-1);
  if (payload === undefined) return refuse('its history holds no invocation of the callbacker');
  if (payload.ExecutionArn !== arn || payload.CallbackUrl !== callbackUrl || !isObject(payload.QueryOutcome)) {
    refuse('the callbacker invocation in its history does not match the execution');
  }
  // The start time the state machine itself sent ($$.Execution.StartTime), so a redelivery is the same callback.
  const startTime = typeof payload.ExecutionStartTime === 'string' ? payload.ExecutionStartTime : execution.startDate.toISOString();
  if (claims.executionStartTime !== undefined && Date.parse(claims.executionStartTime) !== Date.parse(startTime)) {
    refuse(`the record's ExecutionStartTime ${claims.executionStartTime} differs from the execution's ${startTime}`);
  }
  const outcome = payload.QueryOutcome as Record<string, unknown>;
  const outcomeQuery = queryExecutionOf(outcome);
  if (outcomeQuery?.QueryExecutionId !== undefined && outcomeQuery.QueryExecutionId !== queryExecutionId) {
    refuse(`its outcome names query ${String(outcomeQuery.QueryExecutionId)}, which the execution did not start`);
  }
  const claimedQuery = queryExecutionOf(claims.queryOutcome);
  if (claimedQuery?.QueryExecutionId !== undefined && claimedQuery.QueryExecutionId !== queryExecutionId) {
    refuse(`the record names query ${String(claimedQuery.QueryExecutionId)}, which the execution did not start (it started ${queryExecutionId ?? 'none'})`);
  }

  // --- The result location: Athena's, under this module's output location --------------------------------------
  const succeeded = isObject(outcomeQuery?.Status) && outcomeQuery.Status.State === 'SUCCEEDED';
  let queryOutcome = outcome as unknown as QueryOutcome;
  if (succeeded) {
    if (queryExecutionId === undefined) return refuse('its outcome is SUCCEEDED but its history shows no query started');
    const query = await athena.getQueryExecution(queryExecutionId);
    if (query === undefined) return refuse(`Athena has no query ${queryExecutionId}`);
    if (query.Status.State !== 'SUCCEEDED') refuse(`Athena says query ${queryExecutionId} is ${String(query.Status.State)}, not SUCCEEDED`);
    const location = query.ResultConfiguration?.OutputLocation ?? refuse(`Athena gives no result location for query ${queryExecutionId}`);
    if (!inside(location, root)) refuse(`the result location ${location} lies outside this module's output location ${deployment.outputLocation}`);
    const claimedLocation = outputLocationOf(claimedQuery);
    if (claimedLocation !== undefined && claimedLocation !== location) refuse(`the record's result location ${claimedLocation} differs from Athena's ${location}`);
    queryOutcome = {
      QueryExecution: {
        QueryExecutionId: queryExecutionId,
        Status: query.Status,
        ResultConfiguration: { OutputLocation: location },
        ...(query.Statistics !== undefined && { Statistics: query.Statistics }),
      },
    };
  }
  return { ExecutionArn: arn, ExecutionStartTime: startTime, CallbackUrl: callbackUrl, QueryOutcome: queryOutcome };
}

/** The callbacker invocations of an execution's history, newest last: their Payload. */
function callbackerPayloads(events: readonly TaskHistoryEvent[]): Record<string, unknown>[] {
  return events
    .filter((e) => e.type === 'TaskScheduled' && e.resourceType === 'lambda' && e.resource === 'invoke')
    .map((e) => parseJsonOrUndefined(e.parameters))
    .flatMap((p) => (isObject(p) && isObject(p.Payload) ? [p.Payload] : []));
}

/**
 * The delivery of a cancellation machine's execution: the CANCELLED callback of the query machine's execution it was
 * started for, named in its input and checked against what Step Functions says about that execution.
 */
async function deriveCancellation(
  arn: string,
  execution: ExecutionDescription,
  callbackUrl: string,
  input: Record<string, unknown>,
  claims: RecordClaims,
  deployment: RedriveDeployment,
  stepFunctions: StepFunctionsReader,
  refuse: (reason: string) => never,
): Promise<DeliveryRequest> {
  // --- The cancelled execution: the query machine's, of the same name, stopped ------------------------------------
  const original = typeof input.ExecutionArn === 'string' ? input.ExecutionArn : refuse('its input names no ExecutionArn');
  if (stateMachineOf(original) !== deployment.stateMachineArn || executionNameOf(original) !== executionNameOf(arn)) {
    refuse(`its input names execution ${original}, not the execution of ${deployment.stateMachineArn} with its own name`);
  }
  const cancelled = await stepFunctions.describeExecution(original);
  if (cancelled === undefined) return refuse(`Step Functions has no execution ${original}`);
  if (cancelled.status !== 'ABORTED') refuse(`the execution it delivers for, ${original}, is ${cancelled.status}, not ABORTED by a cancel`);
  const cancelledInput = parseJsonOrUndefined(cancelled.input);
  if (!isObject(cancelledInput) || cancelledInput.CallbackUrl !== callbackUrl) refuse(`its CallbackUrl differs from the one of ${original}`);
  const startTime = typeof input.ExecutionStartTime === 'string' ? input.ExecutionStartTime : refuse('its input names no ExecutionStartTime');
  if (Date.parse(startTime) !== cancelled.startDate.getTime()) refuse(`its ExecutionStartTime ${startTime} is not the start of ${original}`);
  // The record's start time is its own execution's ($$.Execution.StartTime of the cancellation machine).
  if (claims.executionStartTime !== undefined && Date.parse(claims.executionStartTime) !== execution.startDate.getTime()) {
    refuse(`the record's ExecutionStartTime ${claims.executionStartTime} differs from the execution's ${execution.startDate.toISOString()}`);
  }

  // --- The outcome: what the machine handed the callbacker, a CANCELLED one -----------------------------------
  const payload = callbackerPayloads(await stepFunctions.taskEvents(arn)).at(-1);
  if (payload === undefined) return refuse('its history holds no invocation of the callbacker');
  if (payload.ExecutionArn !== original || payload.CallbackUrl !== callbackUrl || payload.ExecutionStartTime !== startTime || !isObject(payload.QueryOutcome)) {
    refuse('the callbacker invocation in its history does not match the execution');
  }
  const outcome = queryExecutionOf(payload.QueryOutcome);
  if (!isObject(outcome?.Status) || outcome.Status.State !== 'CANCELLED' || outcome.QueryExecutionId !== undefined) {
    refuse('its outcome is not the CANCELLED outcome of a query cancelled before it started');
  }
  const claimed = queryExecutionOf(claims.queryOutcome);
  if (claimed?.QueryExecutionId !== undefined) refuse(`the record names query ${String(claimed.QueryExecutionId)}, but the cancelled execution started none`);
  return { ExecutionArn: original, ExecutionStartTime: startTime, CallbackUrl: callbackUrl, QueryOutcome: payload.QueryOutcome as unknown as QueryOutcome };
}
