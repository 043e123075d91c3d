import * as errors from '../../handler/errors';
import {
  CallbackerConfigurationError,
  CallbackRejectedError,
  CallbackRetryableError,
  CallbackUrlBlockedError,
  InvalidDeliveryRequestError,
  PERMANENT_ERROR_NAMES,
  PresignFailedError,
  ResultLocationError,
  RETRYABLE_ERROR_NAMES,
  SigningSecretUnavailableError,
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
  });

  it.each(CLASSES)('%s is listed as %s', (name, _ErrorType, kind) => {
    // GIVEN
    const lists: Record<string, readonly string[]> = { retryable: RETRYABLE_ERROR_NAMES, permanent: PERMANENT_ERROR_NAMES };

    // WHEN
    const listedIn = Object.keys(lists).filter((key) => lists[key].includes(name));

    // THEN
    expect(listedIn).toEqual([kind]);
  });

  it('lists every exported error class and nothing else', () => {
    // GIVEN
    const exportedClasses = Object.entries(errors)
      .filter(([, value]) => typeof value === 'function')
      .map(([key]) => key)
      .sort();

    // WHEN
    const listed = [...RETRYABLE_ERROR_NAMES, ...PERMANENT_ERROR_NAMES].sort();

    // THEN
    expect(listed).toEqual(exportedClasses);
  });
});
