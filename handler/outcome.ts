/**
 * Normalises the two shapes the state machine can hand over into one query outcome.
 *
 * - Success: the ResultSelector output of `arn:aws:states:::athena:startQueryExecution.sync`,
 *   `{"QueryExecution": {...}}` (https://docs.aws.amazon.com/step-functions/latest/dg/connect-athena.html).
 * - Failure: what a Catch with ResultPath stores, `{"Error": "...", "Cause": "..."}`
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). For a FAILED or CANCELLED
 *   query the Cause is expected to be the GetQueryExecution response as JSON; for every other failure (throttling
 *   retries exhausted, States.Timeout, a rejected StartQueryExecution) it is free text.
 */
import { InvalidDeliveryRequestError } from './errors';
import { describeValue, isJsonObject, isObject } from './json';
import type { JsonObject, QueryState } from './types';

/** The query outcome the payload is built from. */
export interface NormalisedOutcome {
  readonly state: QueryState;
  /** Epoch milliseconds. */
  readonly submissionDateTime: number;
  /** Epoch milliseconds. */
  readonly completionDateTime: number;
  readonly stateChangeReason?: string;
  readonly queryExecutionId?: string;
  readonly outputLocation?: string;
  readonly statistics?: JsonObject;
}

/** Reasons longer than this are cut, so a long error text cannot bloat the webhook or the state's output. */
export const MAX_REASON_LENGTH = 2048;

/**
 * Numbers below this are read as epoch seconds, above it as epoch milliseconds. 1e11 s is the year 5138 and 1e11 ms
 * is March 1973, so no real query time falls on the wrong side. Athena's wire format uses (fractional) seconds;
 * Step Functions hands over milliseconds.
 */
const SECONDS_MILLIS_BOUNDARY = 1e11;

const FINAL_STATES: readonly QueryState[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

/** Converts epoch milliseconds, epoch seconds or an ISO 8601 string to integral epoch milliseconds. */
export function toEpochMillis(value: number | string): number | undefined {
  if (typeof value === 'string' && !/^\d+(\.\d+)?$/.test(value.trim())) {
    // Only ISO 8601 dates with a time; Date.parse alone would also take loose formats such as "1 May".
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value.trim())) return undefined;
    const parsed = Date.parse(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  const numeric = Number(value);
  if (!Number.isFinite(numeric) || numeric < 0) return undefined;
  return Math.round(numeric < SECONDS_MILLIS_BOUNDARY ? numeric * 1000 : numeric);
}

/** Cuts text to `max` characters (whole code points), marking the cut with an ellipsis. */
export function truncate(text: string, max: number = MAX_REASON_LENGTH): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

function timestamp(path: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const millis = typeof value === 'number' || typeof value === 'string' ? toEpochMillis(value) : undefined;
  if (millis === undefined) {
    throw new InvalidDeliveryRequestError(`${path} must be epoch milliseconds or an ISO 8601 timestamp, got ${describeValue(value)}`);
  }
  return millis;
}

function optionalString(path: string, value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new InvalidDeliveryRequestError(`${path} must be a string, got ${describeValue(value)}`);
  return value;
}

function fromQueryExecution(
  path: string,
  execution: Record<string, unknown>,
  allowed: readonly QueryState[],
  executionStartTime: number,
  now: number,
): NormalisedOutcome {
  const status = execution.Status;
  if (!isObject(status)) {
    throw new InvalidDeliveryRequestError(`${path}.Status must be an object, got ${describeValue(status)}`);
  }
  const state = allowed.find((s) => s === status.State);
  if (state === undefined) {
    throw new InvalidDeliveryRequestError(`${path}.Status.State must be one of ${allowed.join(', ')}, got ${describeValue(status.State)}`);
  }
  const athenaError = isObject(status.AthenaError) ? status.AthenaError : {};
  const reason =
    optionalString(`${path}.Status.StateChangeReason`, status.StateChangeReason) ??
    (typeof athenaError.ErrorMessage === 'string' && athenaError.ErrorMessage !== '' ? athenaError.ErrorMessage : undefined);
  const resultConfiguration = isObject(execution.ResultConfiguration) ? execution.ResultConfiguration : {};
  return {
    state,
    submissionDateTime: timestamp(`${path}.Status.SubmissionDateTime`, status.SubmissionDateTime, executionStartTime),
    completionDateTime: timestamp(`${path}.Status.CompletionDateTime`, status.CompletionDateTime, now),
    ...(reason !== undefined && { stateChangeReason: truncate(reason) }),
    ...optionalField('queryExecutionId', optionalString(`${path}.QueryExecutionId`, execution.QueryExecutionId)),
    ...optionalField('outputLocation', optionalString(`${path}.ResultConfiguration.OutputLocation`, resultConfiguration.OutputLocation)),
    ...(isJsonObject(execution.Statistics) && { statistics: execution.Statistics }),
  };
}

function optionalField<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** Reads the failure Cause as GetQueryExecution JSON when it is one of a FAILED or CANCELLED query. */
function queryExecutionInCause(cause: string): Record<string, unknown> | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(cause);
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || !isObject(parsed.QueryExecution)) return undefined;
  const status = parsed.QueryExecution.Status;
  return isObject(status) && (status.State === 'FAILED' || status.State === 'CANCELLED') ? parsed.QueryExecution : undefined;
}

/**
 * Step Functions cuts error causes at 32,768 characters, and Athena's JSON puts the query text before the status, so
 * the Cause of a failed long query is cut JSON. Its leading QueryExecutionId survives; the state and reason survive
 * only when the cut comes after them. https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
export const MAX_CAUSE_LENGTH = 32768;

function isValidJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Reads what survives of a cut GetQueryExecution Cause; undefined when the Cause is not one. */
function queryExecutionInCutCause(cause: string): Pick<NormalisedOutcome, 'state' | 'stateChangeReason' | 'queryExecutionId'> | undefined {
  if (!/^\s*\{\s*"QueryExecution"\s*:\s*\{/.test(cause) || isValidJson(cause)) return undefined;
  // An unescaped `"Name"` can only be a key or a value of Athena's JSON, never text inside the (escaped) query.
  const id = /"QueryExecutionId"\s*:\s*"([^"\\]+)"/.exec(cause)?.[1];
  const state = /"State"\s*:\s*"(FAILED|CANCELLED)"/.exec(cause)?.[1] as QueryState | undefined;
  const reasonLiteral = /"StateChangeReason"\s*:\s*("(?:[^"\\]|\\.)*")/.exec(cause)?.[1];
  const reason = reasonLiteral === undefined ? undefined : (JSON.parse(reasonLiteral) as string);
  return {
    state: state ?? 'FAILED',
    ...(id !== undefined && { queryExecutionId: id }),
    stateChangeReason: truncate(
      reason ??
        `Athena's failure reason was cut off: Step Functions keeps only the first ${MAX_CAUSE_LENGTH} characters of an error cause, ` +
          `and the query text comes first. Look up query execution ${id ?? '(id not in the cause)'} in Athena for the reason.`,
    ),
  };
}

/**
 * Turns the QueryOutcome of the event into a NormalisedOutcome.
 *
 * @param outcome the event's QueryOutcome
 * @param executionStartTime epoch ms, used as the submission time when a failure carries none
 * @param now epoch ms, used as the completion time when a failure carries none
 */
export function normaliseOutcome(outcome: object, executionStartTime: number, now: number): NormalisedOutcome {
  const fields = outcome as Record<string, unknown>;
  if (fields.QueryExecution !== undefined) {
    if (!isObject(fields.QueryExecution)) {
      throw new InvalidDeliveryRequestError(`QueryOutcome.QueryExecution must be an object, got ${describeValue(fields.QueryExecution)}`);
    }
    return fromQueryExecution('QueryOutcome.QueryExecution', fields.QueryExecution, FINAL_STATES, executionStartTime, now);
  }
  if (typeof fields.Error !== 'string' || fields.Error === '') {
    throw new InvalidDeliveryRequestError(
      `QueryOutcome must hold QueryExecution (success) or a non-empty Error string (caught failure), got ${describeValue(outcome)}`,
    );
  }
  const cause = fields.Cause === undefined || fields.Cause === null ? '' : typeof fields.Cause === 'string' ? fields.Cause : JSON.stringify(fields.Cause);
  const execution = queryExecutionInCause(cause);
  if (execution !== undefined) {
    return fromQueryExecution('QueryOutcome.Cause.QueryExecution', execution, ['FAILED', 'CANCELLED'], executionStartTime, now);
  }
  const cut = queryExecutionInCutCause(cause);
  if (cut !== undefined) {
    return { submissionDateTime: executionStartTime, completionDateTime: now, ...cut };
  }
  return {
    state: 'FAILED',
    submissionDateTime: executionStartTime,
    completionDateTime: now,
    stateChangeReason: truncate(cause === '' ? fields.Error : `${fields.Error}: ${cause}`),
  };
}
