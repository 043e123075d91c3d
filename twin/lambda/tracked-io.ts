/**
 * What the Lambda sandbox hands the bundle so that its time is the twin clock's and its real I/O is work in flight on
 * that clock (twin/clock/twin-clock.ts).
 *
 * - Timers, `Date` and `AbortSignal.timeout` come from the clock: the function's timeouts and waits are twin time.
 * - `http.request`/`https.request` (and `get`) register each exchange from its creation until the request's `close`
 *   event, which Node emits after the response has ended, after an error, or after a destroy; the exchange's socket is
 *   known to the clock, so a local receiver can park it ({@link TwinClock.parkConnection}).
 * - The asynchronous calls of `fs`, `fs/promises`, `dns` and `dns/promises` are registered until their callback runs
 *   or their promise settles (the AWS SDK reads its shared config files and a callback host is resolved this way).
 * - `setImmediate` callbacks are registered until they run: they are real scheduling, not twin time.
 */
import type * as http from 'node:http';
import type * as https from 'node:https';
import type { TwinClock, InFlight } from '../clock/twin-clock';

/** Names the sandbox binds to the clock, in place of Node's globals. */
export const CLOCK_GLOBALS = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date', 'AbortSignal'] as const;

/** Functions that register listeners or make objects rather than doing one asynchronous thing. */
const NOT_ONE_CALL = new Set(['watch', 'watchFile', 'unwatchFile', 'createReadStream', 'createWriteStream', 'openAsBlob', 'setServers', 'getServers', 'setDefaultResultOrder', 'getDefaultResultOrder']);

/** The clock's versions of the globals in {@link CLOCK_GLOBALS}. */
export function clockGlobals(clock: TwinClock, label: string): Record<(typeof CLOCK_GLOBALS)[number], unknown> {
  const immediates = new Map<NodeJS.Immediate, InFlight>();
  const abortSignal = new Proxy(AbortSignal, {
    get(target, property) {
      if (property !== 'timeout') return Reflect.get(target, property, target);
      return (ms: number): AbortSignal => {
        const controller = new AbortController();
        clock.setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms);
        return controller.signal;
      };
    },
  });
  return {
    setTimeout: (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => clock.setTimeout(() => callback(...args), ms),
    clearTimeout: (timer: Parameters<TwinClock['clearTimeout']>[0]) => clock.clearTimeout(timer),
    setInterval: (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => clock.setInterval(() => callback(...args), ms),
    clearInterval: (timer: Parameters<TwinClock['clearInterval']>[0]) => clock.clearInterval(timer),
    setImmediate: (callback: (...args: unknown[]) => void, ...args: unknown[]) => {
      const work = clock.begin(`${label}: setImmediate`);
      const handle = setImmediate(() => {
        immediates.delete(handle);
        work.end();
        callback(...args);
      });
      immediates.set(handle, work);
      return handle;
    },
    clearImmediate: (handle: NodeJS.Immediate | undefined) => {
      if (handle === undefined) return;
      clearImmediate(handle);
      immediates.get(handle)?.end();
      immediates.delete(handle);
    },
    Date: clock.Date,
    AbortSignal: abortSignal,
  };
}

/** `http` or `https` whose requests are work in flight on the clock. */
export function trackedHttp<M extends typeof http | typeof https>(module: M, clock: TwinClock, label: string): M {
  const track = (send: (...args: unknown[]) => http.ClientRequest) =>
    (...args: unknown[]): http.ClientRequest => {
      const request = send(...args);
      const work = clock.begin(`${label}: ${request.method} ${request.protocol}//${request.host}${request.path}`, { socket: () => request.socket ?? undefined });
      request.once('close', () => work.end());
      return request;
    };
  // A copy: the module's own properties are read-only getters.
  return {
    ...module,
    request: track(module.request as (...args: unknown[]) => http.ClientRequest),
    get: track(module.get as (...args: unknown[]) => http.ClientRequest),
  };
}

/**
 * A view of `fs`, `fs/promises`, `dns` or `dns/promises` whose asynchronous calls are work in flight: a call that
 * takes a callback until the callback runs, one that returns a promise until it settles. Synchronous calls, classes
 * and listener-style functions pass through.
 */
export function trackedAsyncModule<M extends object>(module: M, clock: TwinClock, label: string): M {
  return new Proxy(module, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (property === 'promises' && value !== null && typeof value === 'object') return trackedAsyncModule(value, clock, `${label}.promises`);
      if (typeof value !== 'function' || typeof property !== 'string' || NOT_ONE_CALL.has(property) || property.endsWith('Sync') || /^[A-Z]/.test(property)) {
        return value;
      }
      const call = value as (...args: unknown[]) => unknown;
      return (...args: unknown[]): unknown => {
        const work = clock.begin(`${label}.${property}`);
        const last = args[args.length - 1];
        if (typeof last === 'function') {
          args[args.length - 1] = (...results: unknown[]) => {
            work.end();
            return (last as (...r: unknown[]) => unknown)(...results);
          };
        }
        let result: unknown;
        try {
          result = call.apply(target, args);
        } catch (error) {
          work.end();
          throw error;
        }
        if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
          (result as Promise<unknown>).then(
            () => work.end(),
            () => work.end(),
          );
        } else if (typeof last !== 'function') {
          work.end();
        }
        return result;
      };
    },
  });
}
