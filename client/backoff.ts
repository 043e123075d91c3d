/**
 * Capped exponential backoff with full jitter: the n-th wait (n from 0) is drawn uniformly from
 * [0, min(maxDelayMs, initialDelayMs x multiplier^n)). Full jitter spreads clients that started together, so a
 * thousand `wait`s do not poll the API in step.
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */

/** The shape of a backoff schedule. */
export interface BackoffOptions {
  /** Ceiling of the first wait, in milliseconds. */
  readonly initialDelayMs: number;
  /** Largest ceiling, in milliseconds: the schedule stops growing there. */
  readonly maxDelayMs: number;
  /** Growth of the ceiling per attempt. @default 2 */
  readonly multiplier?: number;
}

/** How `wait` polls: first within a second, then growing to at most 20 s between polls. */
export const DEFAULT_POLL_BACKOFF: BackoffOptions = { initialDelayMs: 1000, maxDelayMs: 20_000, multiplier: 2 };

/** How a throttled or failed request is retried: the AWS SDKs' standard mode (base 100 ms, at most 20 s). https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html */
export const DEFAULT_RETRY_BACKOFF: BackoffOptions = { initialDelayMs: 100, maxDelayMs: 20_000, multiplier: 2 };

/** Throws unless the options describe a schedule (positive finite delays, initial <= max, multiplier >= 1). */
export function validateBackoff(options: BackoffOptions, field = 'backoff'): void {
  const problems: string[] = [];
  const multiplier = options.multiplier ?? 2;
  if (!Number.isFinite(options.initialDelayMs) || options.initialDelayMs <= 0) problems.push(`initialDelayMs must be a positive number of milliseconds, got ${options.initialDelayMs}`);
  if (!Number.isFinite(options.maxDelayMs) || options.maxDelayMs <= 0) problems.push(`maxDelayMs must be a positive number of milliseconds, got ${options.maxDelayMs}`);
  if (options.initialDelayMs > options.maxDelayMs) problems.push(`initialDelayMs (${options.initialDelayMs}) must not exceed maxDelayMs (${options.maxDelayMs})`);
  if (!Number.isFinite(multiplier) || multiplier < 1) problems.push(`multiplier must be a number of at least 1, got ${multiplier}`);
  if (problems.length > 0) throw new RangeError(`${field}: ${problems.join('; ')}`);
}

/** The ceiling of the `attempt`-th wait (attempt from 0), in milliseconds. */
export function backoffCeilingMs(attempt: number, options: BackoffOptions): number {
  const multiplier = options.multiplier ?? 2;
  // Math.min first: multiplier^attempt overflows to Infinity for long waits, which min() still handles.
  return Math.min(options.maxDelayMs, options.initialDelayMs * multiplier ** Math.max(0, attempt));
}

/** The `attempt`-th wait with full jitter: `random()` (uniform in [0, 1)) times the ceiling, in whole milliseconds. */
export function fullJitterDelayMs(attempt: number, options: BackoffOptions, random: () => number): number {
  return Math.floor(random() * backoffCeilingMs(attempt, options));
}

/**
 * The pauses of a polling loop (`wait`): capped exponential backoff with full jitter that starts over whenever the
 * observed state changes, so a query that has just started RUNNING is looked at again soon. Also used to plan poll
 * load (bench/sections/capacity.ts).
 */
export class PollSchedule {
  private attempt = 0;
  private state: string | undefined;

  /** @throws RangeError for a backoff that is not a schedule (see {@link validateBackoff}). */
  constructor(
    private readonly backoff: BackoffOptions,
    private readonly random: () => number,
  ) {
    validateBackoff(backoff, 'backoff');
  }

  /**
   * The pause before the next poll, in milliseconds, after a poll that saw `observedState` (undefined: the poll
   * failed, and the schedule goes on growing).
   */
  next(observedState?: string): number {
    if (observedState !== undefined && observedState !== this.state) {
      this.state = observedState;
      this.attempt = 0;
    }
    return fullJitterDelayMs(this.attempt++, this.backoff, this.random);
  }
}
