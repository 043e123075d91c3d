import * as errors from '../../handler/errors';
import {
  CallbackerConfigurationError,
  CallbackRejectedError,
  CallbackRetryableError,
  CallbackRetryAfterError,
  CallbackUrlBlockedError,
  InvalidDeliveryRequestError,
  MAX_ERROR_MESSAGE_CHARS,
  MAX_LAMBDA_CAUSE_CHARS,
  MAX_TRACE_FRAMES,
  PERMANENT_ERROR_NAMES,
  PresignFailedError,
  ResultLocationError,
  RETRY_AFTER_ERROR_NAME,
  RETRYABLE_ERROR_NAMES,
  SigningSecretUnavailableError,
  toBoundedAscii,
  withBoundedErrors,
} from '../../handler/errors';

type ErrorClass = new (message: string, options?: ErrorOptions) => Error;

const CLASSES: readonly (readonly [string, ErrorClass, 'retryable' | 'permanent'])[] = [
  ['CallbackRetryableError', CallbackRetryableError, 'retryable'],
  ['PresignFailedError', PresignFailedError, 'retryable'],
  ['SigningSecretUnavailableError', SigningSecretUnavailableError, 'retryable'],
  ['CallbackerConfigurationError', CallbackerConfigurationError, 'retryable'],
  ['CallbackRejectedError', CallbackRejectedError, 'permanent'],
  ['CallbackUrlBlockedError', CallbackUrlBlockedError, 'permanent'],
  ['InvalidDeliveryRequestError', InvalidDeliveryRequestError, 'permanent'],
  ['ResultLocationError', ResultLocationError, 'permanent'],
];

/** Every character SQS refuses in a message, and a sample of the ones it takes that we escape anyway. */
const HOSTILE = '\u0000\u0001\u0008\u000b\u001f\ud800\udfff\ufffe\uffff \t\n\r\u00e9\u2028\ud83d\ude00 "\\';

/** SQS's allowed characters: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF. */
const SQS_INVALID = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** What Lambda's Node.js runtime reports as the Cause of a function error. */
function lambdaCause(error: Error): string {
  return JSON.stringify({ errorType: error.name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') });
}

describe('handler errors', () => {
  it.each(CLASSES)('%s sets its name as a literal and passes the cause through', (name, ErrorType) => {
    // GIVEN
    const cause = new Error('root cause');

    // WHEN
    const error = new ErrorType('what failed', { cause });

    // THEN
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.message).toBe('what failed');
    expect(error.cause).toBe(cause);
    expect(error.stack?.split('\n')[0]).toBe(`${name}: what failed`);
  });

  it.each(CLASSES)('%s is listed as %s', (name, _ErrorType, kind) => {
    // GIVEN
    const lists: Record<string, readonly string[]> = { retryable: RETRYABLE_ERROR_NAMES, permanent: PERMANENT_ERROR_NAMES };

    // WHEN
    const listedIn = Object.keys(lists).filter((key) => lists[key].includes(name));

    // THEN
    expect(listedIn).toEqual([kind]);
  });

  it('lists every exported error class in exactly one routing list, except the catch-all for unexpected errors', () => {
    // GIVEN
    const exportedClasses = Object.entries(errors)
      .filter(([, value]) => typeof value === 'function' && (value as { prototype?: unknown }).prototype instanceof Error)
      .map(([key]) => key)
      .filter((key) => key !== 'UnexpectedCallbackerError')
      .sort();

    // WHEN
    const listed = [...RETRYABLE_ERROR_NAMES, ...PERMANENT_ERROR_NAMES, RETRY_AFTER_ERROR_NAME].sort();

    // THEN
    expect(listed).toEqual(exportedClasses);
  });

  it.each(CLASSES)('%s escapes every character outside printable ASCII, so its Lambda Cause is a valid SQS message', (_name, ErrorType) => {
    // WHEN
    const error = new ErrorType(`receiver said ${HOSTILE}`);

    // THEN
    expect(error.message).toMatch(/^[\x20-\x7e]*$/);
    expect(error.message).toContain('\\uFFFF');
    expect(error.message).toContain('\\uD800');
    expect(lambdaCause(error)).not.toMatch(SQS_INVALID);
    expect(lambdaCause(error)).toMatch(/^[\x20-\x7e]*$/);
  });

  it.each(CLASSES)(`%s cuts its message to ${MAX_ERROR_MESSAGE_CHARS} characters and its trace to ${MAX_TRACE_FRAMES} frames`, (_name, ErrorType) => {
    // GIVEN: a deep stack and a huge message of characters that each escape to six
    const deep = (n: number): Error => (n === 0 ? new ErrorType('\uffff'.repeat(100_000)) : deep(n - 1));

    // WHEN
    const error = deep(50);

    // THEN
    expect(error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
    expect(error.message.endsWith('\\uFFFF...')).toBe(true);
    expect((error.stack ?? '').split('\n')).toHaveLength(1 + MAX_TRACE_FRAMES);
  });

  it('keeps the Lambda Cause of the worst error within MAX_LAMBDA_CAUSE_CHARS, whole JSON', async () => {
    // GIVEN: a long name, a long message and many long frames, all of quotes, which JSON escapes to two characters
    const worst = Object.assign(new Error('"'.repeat(5000)), { name: '"'.repeat(500) });
    worst.stack = [`x: y`, ...Array.from({ length: 40 }, () => `    at ${'"'.repeat(500)}`)].join('\n');

    // WHEN
    const thrown = (await withBoundedErrors(async () => Promise.reject(worst))(undefined).catch((e: unknown) => e)) as Error;
    const cause = lambdaCause(thrown);

    // THEN
    expect(cause.length).toBeGreaterThan(MAX_LAMBDA_CAUSE_CHARS - 200); // the bound is tight: "at " prefixes and cut marks are not quotes
    expect(cause.length).toBeLessThanOrEqual(MAX_LAMBDA_CAUSE_CHARS);
    expect(() => JSON.parse(cause)).not.toThrow();
    expect(MAX_LAMBDA_CAUSE_CHARS).toBeLessThan(32768);
  });

  describe('Class: CallbackRetryAfterError', () => {
    it('carries the delay as JSON Step Functions can read from the Lambda Cause', () => {
      // WHEN
      const error = new CallbackRetryAfterError(120, 'Callback receiver https://hooks.example.com/cb answered 429');

      // THEN
      expect(error.name).toBe(RETRY_AFTER_ERROR_NAME);
      expect(error.retryAfterSeconds).toBe(120);
      const cause = JSON.parse(lambdaCause(error)) as { errorMessage: string };
      expect(JSON.parse(cause.errorMessage)).toEqual({ RetryAfterSeconds: 120, Detail: 'Callback receiver https://hooks.example.com/cb answered 429' });
    });

    it('stays whole JSON within the message limit whatever the detail holds', () => {
      // WHEN
      const error = new CallbackRetryAfterError(3600, `"\\${HOSTILE}`.repeat(2000));

      // THEN
      expect(error.message.length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE_CHARS);
      expect(JSON.parse(error.message)).toMatchObject({ RetryAfterSeconds: 3600, Detail: expect.stringMatching(/\.\.\.$/) });
      expect(error.message).toMatch(/^[\x20-\x7e]*$/);
    });

    it.each([-1, 1.5, Number.NaN])('refuses %p seconds', (seconds) => {
      expect(() => new CallbackRetryAfterError(seconds, 'x')).toThrow(/retryAfterSeconds must be a non-negative integer/);
    });
  });
});

describe('toBoundedAscii', () => {
  it.each([
    ['plain ASCII', 'abc ~', 10, 'abc ~'],
    ['a control character', 'a\u0001b', 20, 'a\\u0001b'],
    ['U+FFFF', '\uffff', 20, '\\uFFFF'],
    ['an astral character, unit by unit', '\ud83d\ude00', 20, '\\uD83D\\uDE00'],
    ['a cut between escapes', '\uffff\uffff\uffff', 14, '\\uFFFF...'],
    ['a cut in plain text', 'abcdefghij', 8, 'abcde...'],
  ])('turns %s into printable ASCII within the limit', (_label, text, max, expected) => {
    expect(toBoundedAscii(text, max)).toBe(expected);
  });
});

describe('withBoundedErrors', () => {
  it('passes a callbacker error through unchanged', async () => {
    // GIVEN
    const original = new CallbackRejectedError('no');
    // WHEN
    const thrown = await withBoundedErrors(async () => Promise.reject(original))(undefined).catch((e: unknown) => e);
    // THEN
    expect(thrown).toBe(original);
  });

  it('rewraps any other error under its own name, bounded and ASCII, keeping the original as the cause', async () => {
    // GIVEN
    const original = new TypeError(`Cannot read properties of undefined (reading '${HOSTILE}')`);
    // WHEN
    const thrown = (await withBoundedErrors(async () => Promise.reject(original))(undefined).catch((e: unknown) => e)) as Error;
    // THEN
    expect(thrown.name).toBe('TypeError');
    expect(thrown.cause).toBe(original);
    expect(lambdaCause(thrown)).toMatch(/^[\x20-\x7e]*$/);
    expect(thrown.stack?.split('\n')[0]).toBe(`TypeError: ${thrown.message}`);
  });

  it('rewraps a thrown non-error as Error', async () => {
    // WHEN
    const thrown = (await withBoundedErrors(async () => Promise.reject('\uffff'))(undefined).catch((e: unknown) => e)) as Error;
    // THEN
    expect([thrown.name, thrown.message]).toEqual(['Error', '\\uFFFF']);
  });
});
