/**
 * The callbacker's error classes.
 *
 * The `name` of each class is API: Lambda reports `error.name` as the error type, and Step Functions `Retry` and
 * `Catch` match that type with `ErrorEquals`.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 * Each name is a string literal, not `new.target.name`, because the bundle is minified and class names are mangled.
 *
 * Every message (and so every stack trace and Lambda error Cause) is printable ASCII of bounded length, whatever a
 * receiver answered or a caller put in the query: the Cause becomes the dead-letter record's `LastError`, and SQS
 * refuses a message holding characters outside its set (U+FFFE, U+FFFF, lone surrogates, most control characters).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
 */

/** Longest message a callbacker error carries, in characters (printable ASCII once escaped). */
export const MAX_ERROR_MESSAGE_CHARS = 1000;

/** Longest error type (name) reported, in characters. */
export const MAX_ERROR_NAME_CHARS = 64;

/** Stack frames kept in an error's trace, and the length each is cut to. */
export const MAX_TRACE_FRAMES = 10;
export const MAX_TRACE_FRAME_CHARS = 200;

/**
 * Longest Cause Step Functions can receive for an error this function throws, in characters. Lambda's Node.js runtime
 * reports a function error as `JSON.stringify({errorType, errorMessage, trace})`, where `trace` is `stack` split into
 * lines (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html). All of it is printable ASCII, in which
 * JSON escapes only `"` and `\`, so each character costs at most 2:
 *
 *   errorType                 64
 *   errorMessage            1000
 *   trace[0] "name: message" 64 + 2 + 1000
 *   trace[1..10] frames      10 x 200
 *   = 4130 characters, x 2 when every one is escaped = 8260,
 *   + 45 for `{"errorType":"","errorMessage":"","trace":[]}` + 11 x 3 for the trace's quotes and commas = 8338.
 *
 * Well below the 32,768 characters Step Functions keeps of a cause, so the Cause is always whole JSON.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_TaskFailedEventDetails.html
 */
export const MAX_LAMBDA_CAUSE_CHARS =
  2 * (MAX_ERROR_NAME_CHARS + MAX_ERROR_MESSAGE_CHARS + (MAX_ERROR_NAME_CHARS + 2 + MAX_ERROR_MESSAGE_CHARS) + MAX_TRACE_FRAMES * MAX_TRACE_FRAME_CHARS) +
  45 +
  (MAX_TRACE_FRAMES + 1) * 3;

const CUT_MARK = '...';

/**
 * Printable ASCII only: every UTF-16 unit outside U+0020..U+007E becomes `\uXXXX` (so a lone surrogate or U+FFFF is
 * spelled out, never sent), and the result is cut to `max` characters without splitting an escape.
 */
export function toBoundedAscii(text: string, max: number): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const piece = unit >= 0x20 && unit <= 0x7e ? text[i] : `\\u${unit.toString(16).toUpperCase().padStart(4, '0')}`;
    if (out.length + piece.length > max) {
      // Room for the mark: drop whole pieces from the end until it fits.
      while (out !== '' && out.length + CUT_MARK.length > max) out = out.replace(/(\\u[0-9A-F]{4}|[\s\S])$/, '');
      return out + CUT_MARK;
    }
    out += piece;
  }
  return out;
}

/** A stack made of the error's own first line and at most MAX_TRACE_FRAMES frames, each bounded ASCII. */
function boundedStack(name: string, message: string, stack: string | undefined): string {
  const frames = (stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, MAX_TRACE_FRAMES)
    .map((line) => toBoundedAscii(line, MAX_TRACE_FRAME_CHARS));
  return [`${name}: ${message}`, ...frames].join('\n');
}

/**
 * Base of every callbacker error: the message is made printable ASCII and cut to MAX_ERROR_MESSAGE_CHARS, and the
 * stack is rebuilt from the bounded message and frames, so the Cause stays within MAX_LAMBDA_CAUSE_CHARS.
 */
abstract class CallbackerError extends Error {
  protected constructor(name: string, message: string, options?: ErrorOptions) {
    super(toBoundedAscii(message, MAX_ERROR_MESSAGE_CHARS), options);
    this.name = toBoundedAscii(name, MAX_ERROR_NAME_CHARS);
    this.stack = boundedStack(this.name, this.message, this.stack);
  }
}

/**
 * A transient delivery failure: the receiver could not be reached, timed out, or answered 408, 429 or 5xx.
 * The state machine retries it with backoff.
 */
export class CallbackRetryableError extends CallbackerError {
  constructor(message: string, options?: ErrorOptions) {
    super('CallbackRetryableError', message, options);
  }
}

/**
 * The receiver answered 429 or 503 with a `Retry-After`: the state machine waits `retryAfterSeconds` (a Wait state)
 * before the next attempt. The message is JSON, `{"RetryAfterSeconds": n, "Detail": "..."}`, which the state machine
 * reads from the Lambda Cause with `States.StringToJson`; it is always whole JSON within MAX_ERROR_MESSAGE_CHARS, the
 * detail being cut first.
 */
export class CallbackRetryAfterError extends CallbackerError {
  /** Seconds to wait before the next attempt (already capped by the caller). */
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number, detail: string, options?: ErrorOptions) {
    if (!Number.isSafeInteger(retryAfterSeconds) || retryAfterSeconds < 0) {
      throw new RangeError(`retryAfterSeconds must be a non-negative integer, got ${String(retryAfterSeconds)}`);
    }
    const empty = JSON.stringify({ RetryAfterSeconds: retryAfterSeconds, Detail: '' });
    // The detail is ASCII after toBoundedAscii; JSON doubles at most each character (\" and \\), hence the half.
    const room = Math.floor((MAX_ERROR_MESSAGE_CHARS - empty.length) / 2);
    super('CallbackRetryAfterError', JSON.stringify({ RetryAfterSeconds: retryAfterSeconds, Detail: toBoundedAscii(detail, room) }), options);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A permanent delivery failure: the receiver answered 3xx (redirects are never followed), 410 or another 4xx. */
export class CallbackRejectedError extends CallbackerError {
  constructor(message: string, options?: ErrorOptions) {
    super('CallbackRejectedError', message, options);
  }
}

/**
 * The CallbackUrl breaks the delivery policy (scheme, credentials, port, host allowlist, or an internal address).
 * Thrown before any connection is attempted.
 */
export class CallbackUrlBlockedError extends CallbackerError {
  constructor(message: string, options?: ErrorOptions) {
    super('CallbackUrlBlockedError', message, options);
  }
}

/** The event from Step Functions is malformed. The message names the field, the rule and the value received. */
export class InvalidDeliveryRequestError extends CallbackerError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidDeliveryRequestError', message, options);
  }
}

/** The query's OutputLocation is missing or is not an `s3://bucket/key` URI. */
export class ResultLocationError extends CallbackerError {
  constructor(message: string, options?: ErrorOptions) {
    super('ResultLocationError', message, options);
  }
}

/** The result URL could not be presigned (credentials, STS or signer failure). */
export class PresignFailedError extends CallbackerError {
  constructor(message: string, options?: ErrorOptions) {
    super('PresignFailedError', message, options);
  }
}

/** The webhook signing secret could not be read from Secrets Manager, or does not hold `whsec_` values. */
export class SigningSecretUnavailableError extends CallbackerError {
  constructor(message: string, options?: ErrorOptions) {
    super('SigningSecretUnavailableError', message, options);
  }
}

/**
 * An environment variable of the function is missing or invalid. Retryable: an operator can fix the
 * configuration while the state machine is still retrying, and the delivery then goes out.
 */
export class CallbackerConfigurationError extends CallbackerError {
  constructor(message: string, options?: ErrorOptions) {
    super('CallbackerConfigurationError', message, options);
  }
}

/**
 * Any other error (a bug, a runtime failure), keeping its name so the state machine routes it as before, with its
 * message and stack made bounded ASCII like every callbacker error.
 */
export class UnexpectedCallbackerError extends CallbackerError {
  constructor(name: string, message: string, options?: ErrorOptions) {
    super(name, message, options);
  }
}

/** Error names worth retrying from the state machine: the failure may go away by itself or by an operator's fix. */
export const RETRYABLE_ERROR_NAMES = [
  'CallbackRetryableError',
  'PresignFailedError',
  'SigningSecretUnavailableError',
  'CallbackerConfigurationError',
] as const;

/** The error after which the state machine waits the receiver's Retry-After (a Wait state), then tries again. */
export const RETRY_AFTER_ERROR_NAME = 'CallbackRetryAfterError';

/** Error names that no retry can fix: the request, the result location or the receiver's answer is final. */
export const PERMANENT_ERROR_NAMES = [
  'CallbackRejectedError',
  'CallbackUrlBlockedError',
  'InvalidDeliveryRequestError',
  'ResultLocationError',
] as const;

export type RetryableErrorName = (typeof RETRYABLE_ERROR_NAMES)[number];
export type PermanentErrorName = (typeof PERMANENT_ERROR_NAMES)[number];

/**
 * Wraps a handler so that whatever it throws reaches Lambda as a callbacker error: ours pass through, anything else
 * becomes an {@link UnexpectedCallbackerError} of the same name (so Step Functions routes it as before) with a bounded
 * ASCII message and stack.
 */
export function withBoundedErrors<E, R>(handler: (event: E) => Promise<R>): (event: E) => Promise<R> {
  return async (event) => {
    try {
      return await handler(event);
    } catch (error) {
      if (error instanceof CallbackerError) throw error;
      const e = (error ?? {}) as { name?: unknown; message?: unknown; stack?: unknown };
      const name = typeof e.name === 'string' && e.name !== '' ? e.name : 'Error';
      const safe = new UnexpectedCallbackerError(name, typeof e.message === 'string' ? e.message : String(error), { cause: error });
      if (typeof e.stack === 'string') safe.stack = boundedStack(safe.name, safe.message, e.stack);
      throw safe;
    }
  };
}
