/**
 * Exit codes of `async-athena-query`, documented in `--help` and the README. Pure.
 */
import { UsageError } from './arguments';

/** What each exit code means. */
export const EXIT_CODES = {
  /** Done; for `wait`, the query SUCCEEDED. */
  ok: 0,
  /** The API (or S3, for a download) answered an error: 4xx or 5xx, or a body that is not the contract's. */
  apiError: 1,
  /** The command line or the configuration is wrong (option, API URL, region, query file): nothing was sent. */
  usage: 2,
  /** `wait` ended with the query FAILED or CANCELLED. */
  queryNotSucceeded: 3,
  /** No answer: the API or S3 could not be reached in time, or no AWS credentials could be loaded. */
  unreachable: 4,
  /** `wait --timeout` ran out before the query finished. */
  waitTimeout: 5,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** One line per code, for `--help` and the README. */
export const EXIT_CODE_HELP: readonly (readonly [ExitCode, string])[] = [
  [EXIT_CODES.ok, 'success (for wait: the query SUCCEEDED)'],
  [EXIT_CODES.apiError, 'the API or S3 answered an error (HTTP 4xx/5xx, shown with the API\'s message)'],
  [EXIT_CODES.usage, 'usage: a wrong option, API URL, region or query file; nothing was sent'],
  [EXIT_CODES.queryNotSucceeded, 'wait: the query ended FAILED or CANCELLED'],
  [EXIT_CODES.unreachable, 'network or credentials: no answer in time, or no AWS credentials found'],
  [EXIT_CODES.waitTimeout, 'wait: --timeout ran out before the query finished'],
];

/** The exit code of an error a command ended with (errors are told apart by name, as several copies of the package may be loaded). */
export function exitCodeFor(error: unknown): ExitCode {
  const name = error instanceof Error ? error.name : '';
  switch (name) {
    case UsageError.name:
    case 'InvalidClientOptionsError':
    case 'TerraformOutputError':
    case 'QueryFileError':
      return EXIT_CODES.usage;
    case 'ApiError':
    case 'UnexpectedResponseError':
      return EXIT_CODES.apiError;
    case 'ResultDownloadError':
      // A refusal by S3 (or an unusable link from the API) is an error answer; no answer is the network's.
      return (error as { network?: boolean }).network === true ? EXIT_CODES.unreachable : EXIT_CODES.apiError;
    case 'ApiNetworkError':
    case 'CredentialsError':
      return EXIT_CODES.unreachable;
    case 'WaitTimeoutError':
      return EXIT_CODES.waitTimeout;
    default:
      return EXIT_CODES.apiError;
  }
}
