/**
 * Errors of the query API client. Each has its own `name`, so callers can tell them apart without `instanceof`
 * (which fails across two copies of the package), and the CLI maps each to an exit code.
 */
import type { ApiErrorBody, QueryStatus } from './types';

/** An option of the client is unusable (API URL, region): a caller's mistake, nothing was sent. */
export class InvalidClientOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidClientOptionsError';
  }
}

/** What an error answer carried. */
export interface ApiErrorDetails {
  /** HTTP method of the request. */
  readonly method: string;
  /** Path of the request below the host (the stage and route, e.g. `/live/queries/abc`). */
  readonly path: string;
  /** HTTP status of the answer. */
  readonly status: number;
  /** The API's `message`, or the start of the body when it had none. */
  readonly apiMessage: string;
  /** The API's request id (body `requestId`, else the `x-amzn-RequestId` header). */
  readonly requestId?: string;
  /** API Gateway's `x-amzn-ErrorType` header, e.g. `MissingAuthenticationTokenException`. */
  readonly errorType?: string;
  /** The parsed JSON body, when it was JSON. */
  readonly body?: ApiErrorBody;
}

/** API Gateway's answer for a route that does not exist (and for a request without a signature). */
const MISSING_TOKEN = 'Missing Authentication Token';

/** The fields of {@link ApiErrorDetails} are the error's own (declaration merging with the class below). */
export interface ApiError extends ApiErrorDetails {}

/** The API answered with an HTTP error status (4xx or 5xx). */
export class ApiError extends Error {
  constructor(details: ApiErrorDetails) {
    const hint =
      details.status === 403 && details.apiMessage === MISSING_TOKEN
        ? ' (API Gateway also answers this for a route that does not exist: check that the API URL is the stage URL of a deployment with the query routes)'
        : '';
    const id = details.requestId === undefined ? '' : ` (request id ${details.requestId})`;
    super(`${details.method} ${details.path} answered ${details.status}: ${details.apiMessage}${hint}${id}`);
    this.name = 'ApiError';
    // Only the fields the answer had: an absent request id stays absent, not undefined.
    Object.assign(this, Object.fromEntries(Object.entries(details).filter(([, value]) => value !== undefined)));
  }
}

/** The API answered 2xx with a body that is not what the contract says (a wrong URL, or a different version). */
export class UnexpectedResponseError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    problem: string,
  ) {
    super(`${method} ${path} answered ${status} with an unexpected body: ${problem}`);
    this.name = 'UnexpectedResponseError';
  }
}

/** No answer came: the API could not be reached (DNS, connection, TLS) or did not answer in time. */
export class ApiNetworkError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${method} ${path} got no answer: ${reason}`, options);
    this.name = 'ApiNetworkError';
  }
}

/** No AWS credentials could be loaded to sign the request. */
export class CredentialsError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`Could not load AWS credentials to sign the request: ${reason}`, options);
    this.name = 'CredentialsError';
  }
}

/** How a result download failed. */
export interface ResultDownloadFailure {
  /** S3's HTTP status, when it answered. */
  readonly status?: number;
  /** True when no answer came (connection, DNS, TLS, timeout, a broken transfer). */
  readonly network?: boolean;
  readonly cause?: unknown;
}

/** Downloading the result CSV from its presigned URL failed. The URL's query string (its signature) is never shown. */
export class ResultDownloadError extends Error {
  /** S3's HTTP status, when it answered. */
  readonly status?: number;
  /** True when no answer came (connection, DNS, TLS, timeout, a broken transfer). */
  readonly network: boolean;

  constructor(
    /** Scheme, host and path of the URL, without its query string. */
    readonly location: string,
    reason: string,
    failure: ResultDownloadFailure = {},
  ) {
    super(`Downloading the result from ${location} failed${failure.status === undefined ? '' : ` with ${failure.status}`}: ${reason}`, { cause: failure.cause });
    this.name = 'ResultDownloadError';
    if (failure.status !== undefined) this.status = failure.status;
    this.network = failure.network === true;
  }
}

/** `wait` gave up before the query reached a final state. */
export class WaitTimeoutError extends Error {
  constructor(
    readonly queryId: string,
    readonly timeoutMs: number,
    /** The last status seen, if any poll succeeded. */
    readonly lastStatus: QueryStatus | undefined,
  ) {
    super(`Query ${queryId} was still ${lastStatus?.status ?? 'unknown'} after ${timeoutMs / 1000} s of waiting`);
    this.name = 'WaitTimeoutError';
  }
}
