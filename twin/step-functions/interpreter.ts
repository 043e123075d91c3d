/**
 * aws-local-stepfunctions, loaded so that it keeps time on a twin clock.
 *
 * The interpreter reads the time and waits through the globals `setTimeout`, `clearTimeout` and `Date`: Wait states
 * (`Seconds`, `SecondsPath`, `Timestamp`, `TimestampPath`), the wait before each retry (IntervalSeconds x
 * BackoffRate^n, capped at MaxDelaySeconds, FULL jitter drawn with `Math.random`), a Task's TimeoutSeconds, the
 * execution's TimeoutSeconds, `$$.Execution.StartTime` and every event's timestamp. Its module code is evaluated
 * here with those four names bound to the clock (and `Math.random` to the given generator), exactly as Node's
 * module wrapper binds `require` and `module`, so the definition runs unchanged with waits of exact twin seconds.
 * Nothing global is touched: twins with different clocks run side by side in one process.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as Interpreter from 'aws-local-stepfunctions';
import type { TwinClock } from '../clock/twin-clock';

type InterpreterModule = typeof Interpreter;

type ModuleFactory = (
  exports: object,
  require: (id: string) => unknown,
  module: { exports: object },
  filename: string,
  dirname: string,
  setTimeout: TwinClock['setTimeout'],
  clearTimeout: TwinClock['clearTimeout'],
  Date: DateConstructor,
  Math: Math,
) => void;

const FILE = require.resolve('aws-local-stepfunctions');
let factory: ModuleFactory | undefined;

/** The package's CommonJS build as a function of the names it reads time through; compiled once per realm. */
function moduleFactory(): ModuleFactory {
  if (factory === undefined) {
    const source = fs.readFileSync(FILE, 'utf8');
    // `Function` creates the code in this realm (jest gives each test file its own), so the objects it makes are of
    // the same realm as the Task handlers' and the interpreter's plain-object checks hold.
    factory = new Function('exports', 'require', 'module', '__filename', '__dirname', 'setTimeout', 'clearTimeout', 'Date', 'Math', `${source}\n//# sourceURL=${FILE}`) as ModuleFactory;
  }
  return factory;
}

/**
 * A copy of aws-local-stepfunctions whose time is the clock's, and whose retry jitter draws from `random`.
 *
 * @param random uniform numbers in [0, 1); a seeded generator makes jittered retries repeatable
 */
export function interpreterOn(clock: TwinClock, random: () => number = Math.random): InterpreterModule {
  const module = { exports: {} };
  // The package's own dependencies (some nested under it) resolve from its folder, through this realm's require.
  const localRequire = (id: string): unknown => require(require.resolve(id, { paths: [path.dirname(FILE)] }));
  const math = Object.create(Math, { random: { value: random } }) as Math;
  moduleFactory()(
    module.exports,
    localRequire,
    module,
    FILE,
    path.dirname(FILE),
    (callback, ms) => clock.setTimeout(callback, ms),
    (timer) => clock.clearTimeout(timer),
    clock.Date,
    math,
  );
  return module.exports as InterpreterModule;
}
