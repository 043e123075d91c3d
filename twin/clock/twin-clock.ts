/**
 * The twin's clock: one object that every twin service asks for the time and waits on, so that a run of the twin
 * does not depend on how fast or how loaded the machine is.
 *
 * Two kinds:
 * - {@link VirtualClock} (discrete-event): time stands still while real work is in flight and jumps to the next
 *   timer when the twin is otherwise idle. A retry 15 minutes away costs no real time, and a POST that takes 300 ms
 *   of real time on a loaded machine takes 0 s of twin time, so every outcome that depends on time (timeouts,
 *   retries, quotas, token buckets) is the same on every machine. Tests run on it. It can also be stepped by hand
 *   (`autoAdvance: false` with {@link VirtualClock.advanceBy}, {@link VirtualClock.next}, {@link VirtualClock.settled}).
 * - {@link RealTimeClock}: the wall clock and Node's own timers, for an interactive twin (`npm start -- --serve`) that
 *   talks to receivers outside it: their real latency, timestamps and timeouts then mean what they say.
 *
 * "Idle" is defined by explicit bookkeeping, never guessed: every piece of real work the twin starts (an HTTP
 * exchange of the Lambda sandbox, a DuckDB query, an API request of a test client, a file read) is registered with
 * {@link TwinClock.begin} and ended when its last event has been delivered. The clock advances only when no such
 * operation is active, checked in a macrotask so that every promise continuation of the work that just ended has run
 * (and has registered its own work or timers) first.
 *
 * An operation can be *parked*: a local receiver that holds a request to answer it after a delay tells the clock
 * that the HTTP exchange arriving from a given port now waits on a timer ({@link TwinClock.parkConnection}), so the
 * exchange no longer keeps the clock still. If the sender gives up while the exchange is parked, the exchange counts
 * as active again until the receiver has seen the connection close: the receiver's later answer then finds the
 * sender gone, every time, whatever the machine's load.
 */
import type { Socket } from 'node:net';

/** A pending timer, as the clock's setTimeout returns it (shaped like Node's Timeout where callers touch it). */
export interface TwinTimer {
  ref(): TwinTimer;
  unref(): TwinTimer;
  hasRef(): boolean;
  refresh(): TwinTimer;
  [Symbol.toPrimitive](): number;
}

/** A piece of real work in flight. */
export interface InFlight {
  /** Ends the operation. Idempotent. */
  end(): void;
}

/** A parked operation (see {@link TwinClock.parkConnection}). */
export interface Parked {
  /** The holder is done with the exchange (it answers now, or it saw the connection close). Idempotent. */
  release(): void;
}

/** Where an operation's connection is, so a local server can recognise the exchange on its side. */
export interface InFlightOptions {
  /** The client socket of an HTTP exchange, once it has one. */
  readonly socket?: () => Socket | undefined;
}

/** What every twin service that measures or waits for time is given. */
export interface TwinClock {
  /** `virtual`: discrete-event twin time; `real-time`: the wall clock. */
  readonly kind: 'virtual' | 'real-time';
  /** Epoch milliseconds, twin time. */
  now(): number;
  /** A `Date` constructor on this clock: `new Date()` and `Date.now()` read twin time (for code run inside the twin). */
  readonly Date: DateConstructor;
  /** Calls back after `ms` milliseconds of twin time. */
  setTimeout(callback: () => void, ms?: number): TwinTimer;
  clearTimeout(timer: TwinTimer | undefined): void;
  /** Calls back every `ms` milliseconds of twin time. */
  setInterval(callback: () => void, ms?: number): TwinTimer;
  clearInterval(timer: TwinTimer | undefined): void;
  /** Resolves after `ms` milliseconds of twin time, or at once when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Registers real work in flight; the clock stands still until it ends. `label` shows in {@link inFlight}. */
  begin(label: string, options?: InFlightOptions): InFlight;
  /** Runs (or awaits) real work as one operation in flight. */
  track<T>(label: string, work: Promise<T> | (() => Promise<T>)): Promise<T>;
  /**
   * Says that the HTTP exchange whose client socket has local port `remotePort` on this machine now waits for a twin
   * timer of the server that received it. Returns undefined when no tracked exchange matches (an outside client).
   */
  parkConnection(remotePort: number): Parked | undefined;
  /** Labels of the operations that keep the clock still now, for diagnostics. */
  inFlight(): string[];
  /** Stops the clock: pending timers never fire. */
  dispose(): void;
}

/** A `Date` constructor whose current time is `now()`; every other behaviour is Date's own. */
export function dateOn(now: () => number): DateConstructor {
  class TwinDate extends Date {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(now());
      else super(...(args as [string | number | Date]));
    }

    static override now(): number {
      return now();
    }
  }
  // Called without `new`, Date returns the current time as a string.
  return new Proxy(TwinDate, { apply: () => new Date(now()).toString() }) as unknown as DateConstructor;
}

/** A promise on the clock's timer that the signal can cut short. */
function sleepOn(clock: TwinClock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      resolve();
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Work in flight from now until it settles. */
async function trackOn<T>(clock: TwinClock, label: string, work: Promise<T> | (() => Promise<T>)): Promise<T> {
  const operation = clock.begin(label);
  try {
    return await (typeof work === 'function' ? work() : work);
  } finally {
    operation.end();
  }
}

/** Delays as Node reads them: anything that is not a positive finite number is 0 (Node's 1 ms floor does not matter here). */
function delayOf(ms: number | undefined): number {
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : 0;
}

interface Operation {
  readonly label: string;
  readonly socket?: () => Socket | undefined;
  ended: boolean;
  parked: boolean;
}

interface ScheduledTimer extends TwinTimer {
  at: number;
  seq: number;
  readonly callback: () => void;
  readonly interval: number | undefined;
  active: boolean;
}

/** Options of {@link VirtualClock}. */
export interface VirtualClockOptions {
  /**
   * Twin time at the start, in epoch milliseconds. The twin's presigned URLs are checked by s3rver against the wall
   * clock, which accepts URLs dated in its future but not ones already expired, so twin time should not start behind
   * the wall clock.
   *
   * @default Date.now() when the clock is created
   */
  readonly start?: number;
  /**
   * Jump to the next timer whenever the twin is idle. Off, time moves only through {@link VirtualClock.advanceBy} and
   * {@link VirtualClock.next}.
   *
   * @default true
   */
  readonly autoAdvance?: boolean;
}

// Real scheduling for the clock's own bookkeeping, captured once so nothing the clock hands out can replace it.
const realSetImmediate = setImmediate;

/** Discrete-event twin time. See the module documentation. */
export class VirtualClock implements TwinClock {
  readonly kind = 'virtual' as const;
  readonly Date: DateConstructor;
  private current: number;
  private sequence = 0;
  /** Pending timers, ordered by (due time, creation order). */
  private readonly timers: ScheduledTimer[] = [];
  private readonly operations = new Set<Operation>();
  private readonly settledWaiters: (() => void)[] = [];
  private checkPending = false;
  private disposed = false;
  private readonly autoAdvance: boolean;
  /** Timers fired so far. */
  fired = 0;

  constructor(options: VirtualClockOptions = {}) {
    this.current = options.start ?? Date.now();
    this.autoAdvance = options.autoAdvance ?? true;
    this.Date = dateOn(() => this.current);
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms?: number): TwinTimer {
    return this.schedule(callback, delayOf(ms), undefined);
  }

  clearTimeout(timer: TwinTimer | undefined): void {
    this.cancel(timer);
  }

  setInterval(callback: () => void, ms?: number): TwinTimer {
    // A zero interval would fire forever at one instant; Node's floor of 1 ms keeps time moving.
    const every = Math.max(1, delayOf(ms));
    return this.schedule(callback, every, every);
  }

  clearInterval(timer: TwinTimer | undefined): void {
    this.cancel(timer);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  begin(label: string, options: InFlightOptions = {}): InFlight {
    const operation: Operation = { label, socket: options.socket, ended: false, parked: false };
    this.operations.add(operation);
    return {
      end: () => {
        if (operation.ended) return;
        operation.ended = true;
        // A parked exchange the sender gave up on stays active until its holder has seen the end (see module doc).
        if (!operation.parked) this.operations.delete(operation);
        this.wake();
      },
    };
  }

  track<T>(label: string, work: Promise<T> | (() => Promise<T>)): Promise<T> {
    return trackOn(this, label, work);
  }

  parkConnection(remotePort: number): Parked | undefined {
    const operation = [...this.operations].find((o) => !o.ended && !o.parked && o.socket?.()?.localPort === remotePort);
    if (operation === undefined) return undefined;
    operation.parked = true;
    this.wake();
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        operation.parked = false;
        if (operation.ended) this.operations.delete(operation);
        this.wake();
      },
    };
  }

  inFlight(): string[] {
    return [...this.operations].filter((o) => this.counts(o)).map((o) => o.label);
  }

  /** Milliseconds until the next timer, or undefined when none is pending. */
  nextTimerIn(): number | undefined {
    return this.timers.length === 0 ? undefined : Math.max(0, this.timers[0].at - this.current);
  }

  /** Pending timers. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Resolves once no real work is in flight (after the continuations of the last one have run). */
  settled(): Promise<void> {
    return new Promise((resolve) => {
      this.settledWaiters.push(resolve);
      this.requestCheck();
    });
  }

  /**
   * Fires the next timer (moving time to it) once the twin is idle, and waits until its consequences have settled.
   * Resolves false when no timer is pending.
   */
  async next(): Promise<boolean> {
    await this.settled();
    const timer = this.timers[0];
    if (timer === undefined) return false;
    this.fire(timer);
    await this.settled();
    return true;
  }

  /**
   * Moves time forward by `ms`, firing every timer due on the way in order, each once the twin is idle. With
   * `autoAdvance` on, time may also move on by itself whenever the twin is idle, as always.
   */
  async advanceBy(ms: number): Promise<void> {
    const target = this.current + delayOf(ms);
    for (;;) {
      await this.settled();
      const timer = this.timers[0];
      if (timer === undefined || timer.at > target) break;
      this.fire(timer);
    }
    this.current = Math.max(this.current, target);
    await this.settled();
  }

  dispose(): void {
    this.disposed = true;
    this.timers.length = 0;
  }

  private counts(operation: Operation): boolean {
    return !operation.parked || operation.ended;
  }

  private busy(): boolean {
    for (const operation of this.operations) if (this.counts(operation)) return true;
    return false;
  }

  private schedule(callback: () => void, delay: number, interval: number | undefined): TwinTimer {
    const clock = this;
    const timer: ScheduledTimer = {
      at: this.current + delay,
      seq: this.sequence++,
      callback,
      interval,
      active: true,
      ref: () => timer,
      unref: () => timer,
      hasRef: () => true,
      refresh() {
        if (!timer.active) return timer;
        clock.remove(timer);
        timer.at = clock.current + delay;
        timer.seq = clock.sequence++;
        clock.insert(timer);
        return timer;
      },
      [Symbol.toPrimitive]: () => timer.seq,
    };
    this.insert(timer);
    this.wake();
    return timer;
  }

  private insert(timer: ScheduledTimer): void {
    // Binary search for the first timer due later (or due at the same time and created later).
    let low = 0;
    let high = this.timers.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const other = this.timers[middle];
      if (other.at < timer.at || (other.at === timer.at && other.seq < timer.seq)) low = middle + 1;
      else high = middle;
    }
    this.timers.splice(low, 0, timer);
  }

  private remove(timer: ScheduledTimer): void {
    const index = this.timers.indexOf(timer);
    if (index !== -1) this.timers.splice(index, 1);
  }

  private cancel(handle: TwinTimer | undefined): void {
    const timer = handle as ScheduledTimer | undefined;
    if (timer === undefined || timer === null || typeof timer !== 'object' || !('seq' in timer)) return;
    timer.active = false;
    this.remove(timer);
  }

  private fire(timer: ScheduledTimer): void {
    this.remove(timer);
    this.current = Math.max(this.current, timer.at);
    this.fired += 1;
    if (timer.interval !== undefined && timer.active) {
      timer.at = this.current + timer.interval;
      timer.seq = this.sequence++;
      this.insert(timer);
    } else {
      timer.active = false;
    }
    // A throwing callback is an uncaught exception, as it is for Node's timers; the clock keeps its own state first.
    this.requestCheck();
    timer.callback();
  }

  /** Something changed (work ended, a timer was added): look again once the continuations have run. */
  private wake(): void {
    if (!this.busy()) this.requestCheck();
  }

  private requestCheck(): void {
    if (this.checkPending || this.disposed) return;
    this.checkPending = true;
    // A macrotask: every promise continuation of the work that just ended runs before it, so work that follows on
    // directly has registered itself (begin) or its timers by then.
    realSetImmediate(() => {
      this.checkPending = false;
      this.check();
    });
  }

  private check(): void {
    if (this.disposed || this.busy()) return;
    if (this.settledWaiters.length > 0) {
      for (const resolve of this.settledWaiters.splice(0)) resolve();
      // Whoever waited may start work or move time itself; look again after it.
      this.requestCheck();
      return;
    }
    if (!this.autoAdvance) return;
    const timer = this.timers[0];
    if (timer !== undefined) this.fire(timer);
  }
}

/** The wall clock and Node's timers. Work in flight is only listed ({@link inFlight}); it never holds time still. */
export class RealTimeClock implements TwinClock {
  readonly kind = 'real-time' as const;
  readonly Date: DateConstructor = Date;
  private readonly operations = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private sequence = 0;

  now(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, ms?: number): TwinTimer {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      callback();
    }, ms);
    this.timers.add(timer);
    return timer as unknown as TwinTimer;
  }

  clearTimeout(timer: TwinTimer | undefined): void {
    clearTimeout(timer as unknown as NodeJS.Timeout);
    this.timers.delete(timer as unknown as NodeJS.Timeout);
  }

  setInterval(callback: () => void, ms?: number): TwinTimer {
    const timer = setInterval(callback, ms);
    this.timers.add(timer);
    return timer as unknown as TwinTimer;
  }

  clearInterval(timer: TwinTimer | undefined): void {
    clearInterval(timer as unknown as NodeJS.Timeout);
    this.timers.delete(timer as unknown as NodeJS.Timeout);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  begin(label: string): InFlight {
    const key = `${label}#${this.sequence++}`;
    this.operations.add(key);
    return { end: () => void this.operations.delete(key) };
  }

  track<T>(label: string, work: Promise<T> | (() => Promise<T>)): Promise<T> {
    return trackOn(this, label, work);
  }

  parkConnection(): Parked | undefined {
    return undefined;
  }

  inFlight(): string[] {
    return [...this.operations].map((key) => key.replace(/#\d+$/, ''));
  }

  dispose(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
