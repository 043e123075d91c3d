/**
 * aws-local-stepfunctions 3.0.0, loaded with one fix so that it computes what Step Functions computes.
 *
 * CAVEAT: its BaseIntrinsicFunction.call strips every backslash from the string result of any intrinsic function
 * (`result = result.replaceAll("\\", "")`, meant for escaped quotes in string literals). For States.JsonToString that
 * turns valid JSON into invalid JSON as soon as a value holds a quote: `{"a":"x\"y"}` comes out as `{"a":"x"y"}`. The
 * state machine renders the delivery record with States.JsonToString when the dead-letter write fails, and AWS
 * returns valid JSON (https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html#asl-intrsc-func-json-manipulate),
 * so the twin loads the library's own code with that line skipped for States.JsonToString, and nothing else changed.
 * The library code is compiled in the caller's realm (so Jest's Promise polyfill applies to it, as to the package
 * itself) and its dependencies are resolved from the package's folder. The fix is checked against the exact text
 * it replaces: a different build fails here, loudly, rather than running unfixed.
 * ref: aws-local-stepfunctions@3.0.0 build/main.node.cjs
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';

/** The statement of BaseIntrinsicFunction.call that strips backslashes, as it stands in the build. */
export const BACKSLASH_STRIPPING = 'result = result.replaceAll("\\\\", "");';

/** The same statement, skipped for States.JsonToString. */
const FIXED = 'if (this.funcDefinition.name !== "States.JsonToString") result = result.replaceAll("\\\\", "");';

type Library = typeof import('aws-local-stepfunctions');

function loadFixedLibrary(): Library {
  const file = require.resolve('aws-local-stepfunctions');
  const source = fs.readFileSync(file, 'utf8');
  const occurrences = source.split(BACKSLASH_STRIPPING).length - 1;
  if (occurrences !== 1) {
    throw new Error(`${file}: expected the statement ${BACKSLASH_STRIPPING} once, found it ${occurrences} times; re-check twin/step-functions/interpreter.ts against this version`);
  }
  const fromLibrary = createRequire(file);
  const libraryRequire = (id: string): unknown => require(fromLibrary.resolve(id));
  const module = { exports: {} as Library };
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the library's own code, with one statement changed
  new Function('exports', 'require', 'module', '__filename', '__dirname', source.replace(BACKSLASH_STRIPPING, FIXED))(
    module.exports,
    libraryRequire,
    module,
    file,
    path.dirname(file),
  );
  return module.exports;
}

const library = loadFixedLibrary();

/** The interpreter's StateMachine, with States.JsonToString fixed. */
export const StateMachine: Library['StateMachine'] = library.StateMachine;
export type StateMachine = InstanceType<Library['StateMachine']>;
export type { StateMachineDefinition } from 'aws-local-stepfunctions';
