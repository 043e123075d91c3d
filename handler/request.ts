/** Validation of the Lambda event that the state machine sends. */
import { InvalidDeliveryRequestError } from './errors';
import { describeValue, isObject } from './json';
import { toEpochMillis } from './outcome';
import { redactUrlText } from './redact';

/** The event after validation; the query outcome is checked by `normaliseOutcome`. */
export interface ValidatedRequest {
  readonly executionArn: string;
  /** `$$.Execution.StartTime` in epoch milliseconds. */
  readonly executionStartTime: number;
  readonly callbackUrl: string;
  readonly queryOutcome: object;
}

/** The longest CallbackUrl accepted; longer values are almost certainly not a webhook endpoint. */
export const MAX_CALLBACK_URL_LENGTH = 4096;

/**
 * Step Functions execution ARNs, standard (`execution`) and express (`express`).
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-state-machine-executions.html
 */
const EXECUTION_ARN = /^arn:[a-z0-9-]+:states:[a-z0-9-]+:\d{12}:(execution|express):\S+$/;

/**
 * What was received as CallbackUrl, without the parts that may hold a caller's token (user info, query, fragment):
 * a string is shown redacted with its length, any other value by its type only (it may be an object holding a URL).
 */
function describeCallbackUrl(value: unknown): string {
  if (typeof value === 'string') return `${value.length} characters: '${redactUrlText(value)}'`;
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : `a value of type ${typeof value}`;
}

/** Checks the event's fields and returns them in a typed form; throws InvalidDeliveryRequestError naming the field. */
export function parseDeliveryRequest(event: unknown): ValidatedRequest {
  if (!isObject(event)) {
    throw new InvalidDeliveryRequestError(`The event must be a JSON object, got ${describeValue(event)}`);
  }
  const { ExecutionArn, ExecutionStartTime, CallbackUrl, QueryOutcome } = event;
  if (typeof ExecutionArn !== 'string' || !EXECUTION_ARN.test(ExecutionArn)) {
    throw new InvalidDeliveryRequestError(`ExecutionArn must be a Step Functions execution ARN, got ${describeValue(ExecutionArn)}`);
  }
  const executionStartTime =
    typeof ExecutionStartTime === 'string' || typeof ExecutionStartTime === 'number' ? toEpochMillis(ExecutionStartTime) : undefined;
  if (executionStartTime === undefined) {
    throw new InvalidDeliveryRequestError(
      `ExecutionStartTime must be an ISO 8601 timestamp or epoch milliseconds, got ${describeValue(ExecutionStartTime)}`,
    );
  }
  if (typeof CallbackUrl !== 'string' || CallbackUrl.length === 0 || CallbackUrl.length > MAX_CALLBACK_URL_LENGTH) {
    throw new InvalidDeliveryRequestError(
      `CallbackUrl must be a string of 1 to ${MAX_CALLBACK_URL_LENGTH} characters, got ${describeCallbackUrl(CallbackUrl)}`,
    );
  }
  if (!isObject(QueryOutcome)) {
    throw new InvalidDeliveryRequestError(`QueryOutcome must be a JSON object, got ${describeValue(QueryOutcome)}`);
  }
  return { executionArn: ExecutionArn, executionStartTime, callbackUrl: CallbackUrl, queryOutcome: QueryOutcome };
}
