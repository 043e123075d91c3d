/**
 * Runs the synthesized Lambda bundle the way the Lambda service would: in sandboxes that each hold one copy of the
 * module (module-scope SDK clients and caches included), serve one invocation at a time, see only the function's
 * environment, and fail like Lambda fails.
 *
 * Isolation without a child process: the bundle is compiled once and instantiated per sandbox with its own `process`
 * (a view of the real one whose `env` is the function's environment), its own `console` (lines go to the function's
 * log), and a `require` that hands out Node's built-ins, except that `https` trusts the twin's local CA the way
 * NODE_EXTRA_CA_CERTS would. Nothing global is changed, so twins and tests can run side by side in one process.
 *
 * Time inside the sandbox is the twin clock's: the bundle's `setTimeout`, `setInterval`, `Date` and
 * `AbortSignal.timeout` are the clock's (its POST timeouts and Retry-After waits are twin seconds), as is the
 * invocation timeout; its `Math.random` can be a seeded generator (the SDK's retry jitter is twin time too). Its real
 * I/O (`http`, `https`, `fs`, `dns`, `setImmediate`) is registered with the clock as work in flight, so a virtual
 * clock stands still while the function talks to S3, STS or a receiver (see twin/clock/twin-clock.ts and
 * tracked-io.ts).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import * as tls from 'node:tls';
import * as vm from 'node:vm';
import { RealTimeClock, type TwinClock, type TwinTimer } from '../clock/twin-clock';
import { CLOCK_GLOBALS, clockGlobals, trackedAsyncModule, trackedHttp } from './tracked-io';

/** What the sandbox needs to know about the function. */
export interface LambdaFunctionSpec {
  readonly functionArn: string;
  readonly functionName: string;
  /** `file.export`, e.g. `index.handler`. */
  readonly handler: string;
  /** The unzipped deployment package (the archive's source directory). */
  readonly codeDirectory: string;
  readonly timeoutSeconds: number;
  readonly memorySizeMb: number;
  /** The complete environment the function sees: the runtime's variables plus the function's own. */
  readonly environment: Readonly<Record<string, string>>;
}

/** Options of {@link LambdaService}. */
export interface LambdaServiceOptions {
  /** Extra PEM certificates the function's https client trusts, on top of the public roots. */
  readonly extraCaCertificates?: readonly string[];
  /**
   * Most sandboxes alive at once; further invocations wait for a free one.
   *
   * @default 8
   */
  readonly maxSandboxes?: number;
  /** Receives each line the function logs. */
  readonly onLog?: (line: string) => void;
  /**
   * The twin clock: the invocation timeout, `context.getRemainingTimeInMillis()` and the function's own timers.
   *
   * @default the wall clock
   */
  readonly clock?: TwinClock;
  /**
   * Uniform numbers in [0, 1) that the function's `Math.random` returns. The AWS SDK draws its retry backoff jitter
   * from `Math.random`, and those delays are twin time: a seeded generator keeps a run with SDK retries reproducible.
   *
   * @default Math.random
   */
  readonly random?: () => number;
}

/**
 * A function error as Lambda reports it to Step Functions: `errorType` is the thrown error's `name`, and the
 * payload is `{"errorType","errorMessage","trace"}`.
 * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html
 */
export class LambdaFunctionError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    readonly trace: readonly string[],
  ) {
    super(errorMessage);
    this.name = 'LambdaFunctionError';
  }

  /** The Payload Lambda returns for this error. */
  payload(): { errorType: string; errorMessage: string; trace: readonly string[] } {
    return { errorType: this.errorType, errorMessage: this.errorMessage, trace: this.trace };
  }
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

interface Sandbox {
  readonly handler: Handler;
  busy: boolean;
}

type ModuleWrapper = (
  exports: object,
  require: NodeJS.Require,
  module: { exports: Record<string, unknown> },
  filename: string,
  dirname: string,
  process: NodeJS.Process,
  console: Console,
  math: Math,
  ...timers: unknown[]
) => void;

/** Parameters the bundle's own code sees in place of the globals of the same names. */
const WRAPPER_PARAMETERS = ['exports', 'require', 'module', '__filename', '__dirname', 'process', 'console', 'Math', ...CLOCK_GLOBALS];

/** `Math` whose `random` is `random`; every other member is Math's own. */
function mathWith(random: () => number): Math {
  return Object.freeze(Object.create(Math, { random: { value: () => random() } })) as Math;
}

/** Modules whose asynchronous calls are registered with the clock as work in flight. */
const TRACKED_ASYNC_MODULES = ['fs', 'fs/promises', 'dns', 'dns/promises'];

function withCa(extra: readonly string[]): typeof https {
  if (extra.length === 0) return https;
  // One context for every request: building one from ~150 root certificates per request would dominate the CPU
  // time of a busy twin. It holds what NODE_EXTRA_CA_CERTS would: the public roots plus the extra certificates.
  const secureContext = tls.createSecureContext({ ca: [...tls.rootCertificates, ...extra] });
  const addTrust = (args: unknown[]): unknown[] => {
    const index = args.findIndex((a) => a !== null && typeof a === 'object' && !(a instanceof URL));
    if (index === -1) return [...args.slice(0, 1), { secureContext }, ...args.slice(1)];
    const options = args[index] as https.RequestOptions & tls.ConnectionOptions;
    const copy = [...args];
    if (options.ca === undefined && options.secureContext === undefined) copy[index] = { ...options, secureContext };
    return copy;
  };
  // A copy: the module's own properties are read-only getters.
  return {
    ...https,
    request: (...args: unknown[]) => (https.request as (...a: unknown[]) => ReturnType<typeof https.request>)(...addTrust(args)),
    get: (...args: unknown[]) => (https.get as (...a: unknown[]) => ReturnType<typeof https.get>)(...addTrust(args)),
  } as typeof https;
}

function sandboxProcess(env: Record<string, string>, log: (line: string) => void): NodeJS.Process {
  // Warnings (such as the SDK's Node-version notice) belong in the function's log, as in Lambda, not on our stderr.
  const emitWarning = (warning: string | Error): void => log(`Warning: ${typeof warning === 'string' ? warning : warning.message}`);
  return new Proxy(process, {
    get: (target, property) => {
      if (property === 'env') return env;
      if (property === 'emitWarning') return emitWarning;
      return Reflect.get(target, property, target);
    },
  });
}

function sandboxConsole(functionName: string, onLog: (line: string) => void): Console {
  const { Console: ConsoleClass } = require('node:console') as typeof import('node:console');
  const { Writable } = require('node:stream') as typeof import('node:stream');
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') onLog(`[${functionName}] ${line}`);
      done();
    },
  });
  return new ConsoleClass({ stdout: sink, stderr: sink });
}

/** The Lambda service for one function: sandboxes, invocation, timeouts and error reporting. */
export class LambdaService {
  private readonly wrapper: ModuleWrapper;
  private readonly file: string;
  private readonly exportName: string;
  private readonly sandboxes: Sandbox[] = [];
  private readonly waiting: ((sandbox: Sandbox) => void)[] = [];
  private readonly maxSandboxes: number;
  private readonly https: typeof https;
  private readonly http: typeof http;
  private readonly clock: TwinClock;
  private readonly math: Math;
  private readonly logs: string[] = [];
  /** Sandboxes created so far (cold starts). */
  coldStarts = 0;

  constructor(
    readonly spec: LambdaFunctionSpec,
    private readonly options: LambdaServiceOptions = {},
  ) {
    const [fileName, exportName] = spec.handler.split('.');
    this.file = path.join(spec.codeDirectory, `${fileName}.js`);
    this.exportName = exportName;
    const source = fs.readFileSync(this.file, 'utf8');
    // Compiled once; each sandbox runs the wrapper again and so gets fresh module state.
    this.wrapper = new vm.Script(`(function (${WRAPPER_PARAMETERS.join(', ')}) {${source}\n})`, { filename: this.file }).runInThisContext() as ModuleWrapper;
    this.maxSandboxes = options.maxSandboxes ?? 8;
    this.clock = options.clock ?? new RealTimeClock();
    this.math = options.random === undefined ? Math : mathWith(options.random);
    this.https = trackedHttp(withCa(options.extraCaCertificates ?? []), this.clock, `Lambda ${spec.functionName}`);
    this.http = trackedHttp(http, this.clock, `Lambda ${spec.functionName}`);
  }

  /** Every line logged by the function so far. */
  get logLines(): readonly string[] {
    return this.logs;
  }

  private createSandbox(): Sandbox {
    const env = { ...this.spec.environment };
    const log = (line: string): void => {
      this.logs.push(line);
      this.options.onLog?.(line);
    };
    const sandboxProc = sandboxProcess(env, (line) => log(`[${this.spec.functionName}] ${line}`));
    const nodeRequire = createRequire(this.file);
    const sandboxRequire = Object.assign(
      (id: string): unknown => {
        const name = id.replace(/^node:/, '');
        if (name === 'https') return this.https;
        if (name === 'http') return this.http;
        if (name === 'process') return sandboxProc;
        if (TRACKED_ASYNC_MODULES.includes(name)) return trackedAsyncModule(nodeRequire(id) as object, this.clock, `Lambda ${this.spec.functionName}: ${name}`);
        return nodeRequire(id);
      },
      { resolve: nodeRequire.resolve, cache: nodeRequire.cache, main: undefined, extensions: nodeRequire.extensions },
    ) as NodeJS.Require;
    const module = { exports: {} as Record<string, unknown> };
    const globals = clockGlobals(this.clock, `Lambda ${this.spec.functionName}`);
    this.wrapper.call(
      module.exports,
      module.exports,
      sandboxRequire,
      module,
      this.file,
      path.dirname(this.file),
      sandboxProc,
      sandboxConsole(this.spec.functionName, log),
      this.math,
      ...CLOCK_GLOBALS.map((name) => globals[name]),
    );
    const handler = module.exports[this.exportName];
    if (typeof handler !== 'function') throw new Error(`${this.file} does not export a function named ${this.exportName}`);
    this.coldStarts += 1;
    return { handler: handler as Handler, busy: false };
  }

  private acquire(): Promise<Sandbox> {
    const idle = this.sandboxes.find((s) => !s.busy);
    const sandbox = idle ?? (this.sandboxes.length < this.maxSandboxes ? this.createSandbox() : undefined);
    if (sandbox !== undefined) {
      if (idle === undefined) this.sandboxes.push(sandbox);
      sandbox.busy = true;
      return Promise.resolve(sandbox);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Hands the sandbox to the next waiting invocation, or marks it idle. A timed-out sandbox is replaced, as Lambda does. */
  private release(sandbox: Sandbox, discard: boolean): void {
    let usable = sandbox;
    if (discard) {
      this.sandboxes.splice(this.sandboxes.indexOf(sandbox), 1);
      if (this.waiting.length === 0) return;
      usable = this.createSandbox();
      this.sandboxes.push(usable);
      usable.busy = true;
    }
    const next = this.waiting.shift();
    if (next !== undefined) next(usable);
    else usable.busy = false;
  }

  /**
   * Invokes the function synchronously (RequestResponse). The event and the result cross a JSON boundary, as they do
   * in Lambda. Throws LambdaFunctionError for a function error or a timeout (`Sandbox.Timedout`).
   */
  async invoke(event: unknown): Promise<unknown> {
    const payload = JSON.parse(JSON.stringify(event)) as unknown;
    const sandbox = await this.acquire();
    const requestId = randomUUID();
    const deadline = this.clock.now() + this.spec.timeoutSeconds * 1000;
    const context = {
      functionName: this.spec.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.spec.functionArn,
      memoryLimitInMB: String(this.spec.memorySizeMb),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${this.spec.functionName}`,
      logStreamName: `twin/[$LATEST]${requestId.replace(/-/g, '')}`,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - this.clock.now()),
    };
    let timer: TwinTimer | undefined;
    let timedOut = false;
    try {
      const timeout = new Promise<never>((_, rejectTimeout) => {
        timer = this.clock.setTimeout(() => {
          timedOut = true;
          rejectTimeout(
            new LambdaFunctionError('Sandbox.Timedout', `RequestId: ${requestId} Error: Task timed out after ${this.spec.timeoutSeconds.toFixed(2)} seconds`, []),
          );
        }, this.spec.timeoutSeconds * 1000);
      });
      const result = await Promise.race([sandbox.handler(payload, context), timeout]);
      return result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
    } catch (error) {
      if (error instanceof LambdaFunctionError) throw error;
      // The error may come from the bundle's realm: read its fields rather than trusting instanceof.
      const e = error as { name?: unknown; message?: unknown; stack?: unknown };
      const errorType = typeof e.name === 'string' ? e.name : 'Error';
      const errorMessage = typeof e.message === 'string' ? e.message : String(error);
      const trace = typeof e.stack === 'string' ? e.stack.split('\n') : [];
      throw new LambdaFunctionError(errorType, errorMessage, trace);
    } finally {
      this.clock.clearTimeout(timer);
      this.release(sandbox, timedOut);
    }
  }
}
