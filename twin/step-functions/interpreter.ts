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
 *
 * One statement of the package is fixed on the way: its BaseIntrinsicFunction.call strips every backslash from the
 * string result of any intrinsic function (`result = result.replaceAll("\\", "")`, meant for escaped quotes in string
 * literals). For States.JsonToString that turns valid JSON into invalid JSON as soon as a value holds a quote:
 * `{"a":"x\"y"}` comes out as `{"a":"x"y"}`. The state machine renders the delivery record with States.JsonToString
 * when the dead-letter write fails, and AWS returns valid JSON
 * (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#asl-intrsc-func-json-manipulate), so
 * that statement is skipped for States.JsonToString, and nothing else changes. The fix is checked against the exact
 * text it replaces: a different build fails here, loudly, rather than running unfixed.
 * ref: aws-local-stepfunctions@3.0.0 build/main.node.cjs
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

/** The statement of BaseIntrinsicFunction.call that strips backslashes, as it stands in the build. */
const BACKSLASH_STRIPPING = 'result = result.replaceAll("\\\\", "");';

/** The same statement, skipped for States.JsonToString. */
const BACKSLASH_STRIPPING_FIXED = 'if (this.funcDefinition.name !== "States.JsonToString") result = result.replaceAll("\\\\", "");';

/** The package's source with {@link BACKSLASH_STRIPPING} fixed; throws unless the statement occurs exactly once. */
function fixedSource(): string {
  const source = fs.readFileSync(FILE, 'utf8');
  const occurrences = source.split(BACKSLASH_STRIPPING).length - 1;
  if (occurrences !== 1) {
    throw new Error(`${FILE}: expected the statement ${BACKSLASH_STRIPPING} once, found it ${occurrences} times; re-check twin/step-functions/interpreter.ts against this version`);
  }
  return source.replace(BACKSLASH_STRIPPING, BACKSLASH_STRIPPING_FIXED);
}

/** The package's CommonJS build as a function of the names it reads time through; compiled once per realm. */
function moduleFactory(): ModuleFactory {
  if (factory === undefined) {
    const source = fixedSource();
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
