/**
 * The query API function's answers that are not a success, one class per HTTP status. Each carries the message the
 * caller sees (it names the field, the rule and the value received, never a URL's query string or user info) and the
 * extra fields of the JSON body; handler/api/index.ts turns them into `{"message", "requestId", ...}`.
 */

/** One broken rule of a request. */
export interface RequestProblem {
  /** The field (`Query`, `ExecutionParameters[2]`, the `Idempotency-Key` header, the `id` path parameter). */
  readonly field: string;
  /** What it must be, as a phrase following "must". */
  readonly rule: string;
  /** What was received, rendered safely (see handler/api/request.ts describeReceived). */
  readonly received: string;
}

/** The message of one problem: `<field> must <rule>, got <received>`. */
export function problemMessage(problem: RequestProblem): string {
  return `${problem.field} must ${problem.rule}, got ${problem.received}`;
}

/** Base of every answered error. */
export abstract class ApiRequestError extends Error {
  /** The HTTP status. */
  abstract readonly statusCode: number;

  protected constructor(
    name: string,
    message: string,
    /** Fields added to the JSON body next to `message` and `requestId`. */
    readonly details: Readonly<Record<string, unknown>> = {},
    /** Headers of the answer. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = name;
  }
}

/** 400: the request breaks a rule of the contract; nothing was started or changed. */
export class InvalidRequestError extends ApiRequestError {
  readonly statusCode = 400;

  constructor(readonly problems: readonly RequestProblem[], summary = 'Invalid request') {
    super('InvalidRequestError', `${summary}: ${problems.map(problemMessage).join('; ')}`, { problems });
  }
}

/** 404: no execution of this API has that name. */
export class QueryNotFoundError extends ApiRequestError {
  readonly statusCode = 404;

  constructor(queryId: string) {
    super('QueryNotFoundError', `No query has the id '${queryId}': no execution of this API's state machine is named so`, { queryId });
  }
}

/** 409: the request conflicts with the query's state (finished, not SUCCEEDED, or an idempotency key reused). */
export class QueryConflictError extends ApiRequestError {
  readonly statusCode = 409;

  constructor(message: string, details: Readonly<Record<string, unknown>>) {
    super('QueryConflictError', message, details);
  }
}

/** 413: the execution input would not fit Step Functions' payload quota. */
export class PayloadTooLargeError extends ApiRequestError {
  readonly statusCode = 413;

  constructor(message: string, details: Readonly<Record<string, unknown>>) {
    super('PayloadTooLargeError', message, details);
  }
}

/** 415: the body is not JSON. */
export class UnsupportedMediaTypeError extends ApiRequestError {
  readonly statusCode = 415;

  constructor(contentType: string) {
    super('UnsupportedMediaTypeError', `Content-Type must be application/json, got ${JSON.stringify(contentType.slice(0, 100))}`);
  }
}

/**
 * An AWS service refused or failed a call the function made: 429 when it throttled, 400 for another client error
 * (a quota such as ExecutionLimitExceeded), 500 otherwise. `type` is the service's error name.
 */
export class ServiceCallError extends ApiRequestError {
  readonly statusCode: number;

  constructor(operation: string, error: unknown) {
    const e = error as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } };
    const type = typeof e?.name === 'string' ? e.name : 'Error';
    const status = e?.$metadata?.httpStatusCode;
    const throttled = type === 'ThrottlingException' || type === 'TooManyRequestsException';
    const statusCode = throttled ? 429 : status !== undefined && status >= 400 && status < 500 ? 400 : 500;
    super('ServiceCallError', `${operation} failed: ${type}: ${typeof e?.message === 'string' ? e.message : String(error)}`, { type });
    this.statusCode = statusCode;
  }
}

/** The function's own configuration is wrong (an environment variable): 500, with the variable named. */
export class QueryApiConfigurationError extends ApiRequestError {
  readonly statusCode = 500;

  constructor(message: string) {
    super('QueryApiConfigurationError', message);
  }
}

/** Something the function found in AWS breaks what the module guarantees (e.g. a result outside the output location). */
export class InconsistentStateError extends ApiRequestError {
  readonly statusCode = 500;

  constructor(message: string, details: Readonly<Record<string, unknown>> = {}) {
    super('InconsistentStateError', message, details);
  }
}
