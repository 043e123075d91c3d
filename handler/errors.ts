/**
 * The callbacker's error classes.
 *
 * The `name` of each class is API: Lambda reports `error.name` as the error type, and Step Functions `Retry` and
 * `Catch` match that type with `ErrorEquals`.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 * Each name is a string literal, not `new.target.name`, because the bundle is minified and class names are mangled.
 */

/**
 * A transient delivery failure: the receiver could not be reached, timed out, or answered 408, 429 or 5xx.
 * The state machine retries it with backoff.
 */
export class CallbackRetryableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CallbackRetryableError';
  }
}

/** A permanent delivery failure: the receiver answered 3xx (redirects are never followed), 410 or another 4xx. */
export class CallbackRejectedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CallbackRejectedError';
  }
}

/**
 * The CallbackUrl breaks the delivery policy (scheme, credentials, port, host allowlist, or an internal address).
 * Thrown before any connection is attempted.
 */
export class CallbackUrlBlockedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CallbackUrlBlockedError';
  }
}

/** The event from Step Functions is malformed. The message names the field, the rule and the value received. */
export class InvalidDeliveryRequestError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InvalidDeliveryRequestError';
  }
}

/** The query's OutputLocation is missing or is not an `s3://bucket/key` URI. */
export class ResultLocationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ResultLocationError';
  }
}

/** The result URL could not be presigned (credentials, STS or signer failure). */
export class PresignFailedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PresignFailedError';
  }
}

/** The webhook signing secret could not be read from Secrets Manager, or does not hold `whsec_` values. */
export class SigningSecretUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SigningSecretUnavailableError';
  }
}

/**
 * An environment variable of the function is missing or invalid. Retryable: an operator can fix the
 * configuration while the state machine is still retrying, and the delivery then goes out.
 */
export class CallbackerConfigurationError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CallbackerConfigurationError';
  }
}

/** Error names worth retrying from the state machine: the failure may go away by itself or by an operator's fix. */
export const RETRYABLE_ERROR_NAMES = [
  'CallbackRetryableError',
  'PresignFailedError',
  'SigningSecretUnavailableError',
  'CallbackerConfigurationError',
] as const;

/** Error names that no retry can fix: the request, the result location or the receiver's answer is final. */
export const PERMANENT_ERROR_NAMES = [
  'CallbackRejectedError',
  'CallbackUrlBlockedError',
  'InvalidDeliveryRequestError',
  'ResultLocationError',
] as const;

export type RetryableErrorName = (typeof RETRYABLE_ERROR_NAMES)[number];
export type PermanentErrorName = (typeof PERMANENT_ERROR_NAMES)[number];
