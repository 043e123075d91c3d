import { backoffCeilingMs, DEFAULT_POLL_BACKOFF, fullJitterDelayMs, PollSchedule, validateBackoff } from '../../client/backoff';

describe('backoffCeilingMs', () => {
  it('doubles from the initial delay and stops at the maximum', () => {
    // WHEN
    const ceilings = Array.from({ length: 8 }, (_, attempt) => backoffCeilingMs(attempt, DEFAULT_POLL_BACKOFF));
    // THEN
    expect(ceilings).toEqual([1000, 2000, 4000, 8000, 16000, 20000, 20000, 20000]);
  });

  it('stays at the maximum for an attempt count whose power overflows', () => {
    expect(backoffCeilingMs(5000, { initialDelayMs: 100, maxDelayMs: 20_000 })).toBe(20_000);
  });

  it('grows by the given multiplier', () => {
    expect([0, 1, 2].map((n) => backoffCeilingMs(n, { initialDelayMs: 100, maxDelayMs: 1000, multiplier: 3 }))).toEqual([100, 300, 900]);
  });
});

describe('fullJitterDelayMs', () => {
  it('draws uniformly from zero up to the ceiling', () => {
    // THEN
    expect(fullJitterDelayMs(2, DEFAULT_POLL_BACKOFF, () => 0)).toBe(0);
    expect(fullJitterDelayMs(2, DEFAULT_POLL_BACKOFF, () => 0.5)).toBe(2000);
    expect(fullJitterDelayMs(2, DEFAULT_POLL_BACKOFF, () => 0.999999)).toBe(3999);
  });

  it('never reaches the ceiling of the capped attempts', () => {
    // GIVEN
    const draws = [0.1, 0.9, 0.99999];
    // WHEN
    const delays = draws.map((d) => fullJitterDelayMs(40, DEFAULT_POLL_BACKOFF, () => d));
    // THEN
    expect(delays).toEqual([2000, 18000, 19999]);
  });
});

describe('validateBackoff', () => {
  it.each([
    [{ initialDelayMs: 0, maxDelayMs: 10 }, /initialDelayMs must be a positive number of milliseconds, got 0/],
    [{ initialDelayMs: 10, maxDelayMs: Number.NaN }, /maxDelayMs must be a positive number of milliseconds, got NaN/],
    [{ initialDelayMs: 100, maxDelayMs: 10 }, /initialDelayMs \(100\) must not exceed maxDelayMs \(10\)/],
    [{ initialDelayMs: 1, maxDelayMs: 10, multiplier: 0.5 }, /multiplier must be a number of at least 1, got 0.5/],
  ])('refuses %j', (options, message) => {
    expect(() => validateBackoff(options, 'backoff')).toThrow(message);
  });

  it('accepts the defaults', () => {
    expect(() => validateBackoff(DEFAULT_POLL_BACKOFF)).not.toThrow();
  });
});

describe('PollSchedule', () => {
  it('grows the pause while the state stays the same and starts over when it changes', () => {
    // GIVEN
    const schedule = new PollSchedule({ initialDelayMs: 100, maxDelayMs: 400 }, () => 0.5);
    // WHEN
    const pauses = ['QUEUED', 'QUEUED', 'QUEUED', 'QUEUED', 'RUNNING', 'RUNNING'].map((state) => schedule.next(state));
    // THEN
    expect(pauses).toEqual([50, 100, 200, 200, 50, 100]);
  });

  it('goes on growing after a failed poll, which observed no state', () => {
    // GIVEN
    const schedule = new PollSchedule({ initialDelayMs: 100, maxDelayMs: 1000 }, () => 0.5);
    // WHEN
    const pauses = [schedule.next('RUNNING'), schedule.next(undefined), schedule.next('RUNNING')];
    // THEN
    expect(pauses).toEqual([50, 100, 200]);
  });

  it('refuses a backoff that is not a schedule', () => {
    expect(() => new PollSchedule({ initialDelayMs: 10, maxDelayMs: 1 }, Math.random)).toThrow(/backoff: initialDelayMs \(10\) must not exceed maxDelayMs \(1\)/);
  });
});
