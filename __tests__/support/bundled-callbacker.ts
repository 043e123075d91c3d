/**
 * Loads the callbacker exactly as the module deploys it: `index.js` unzipped from the deployment package the
 * synthesized stack ships (with the library that zipped it), in a fresh module registry, with a given environment.
 * Test helper; not a suite.
 */
import * as path from 'node:path';
import type { DeliveryRequest, DeliveryResult } from '../../handler/types';
import { loadStack } from '../../twin/wiring/stack-cache';
import type { LocalReceiver } from './local-receiver';

/** The bundle unzipped from the synthesized stack's deployment package (synthesized once per content of the sources, then served from a cache). */
export function synthesizedBundleFile(): string {
  return path.join(loadStack({ output_location: 's3://twin-athena-results/queries/' }).bundleDirectory, 'index.js');
}

export type BundledHandler = (event: DeliveryRequest) => Promise<DeliveryResult>;

/** Variables that would let the SDK find real credentials or config on the test machine. */
const AMBIENT_AWS = /^AWS_/;

/**
 * The environment a test invocation sees: the process environment without any AWS_* variable, with shared config
 * files and IMDS switched off, plus the given variables.
 */
export function isolatedEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !AMBIENT_AWS.test(key)));
  return {
    ...base,
    AWS_CONFIG_FILE: '/nonexistent/callbacker-test/config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/callbacker-test/credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    // The SDK warns once per client realm that it will require Node 22 from 2027; the warning is noise in tests.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...vars,
  };
}

async function withEnv<T>(env: NodeJS.ProcessEnv, action: () => Promise<T>): Promise<T> {
  const saved = process.env;
  process.env = env;
  try {
    return await action();
  } finally {
    process.env = saved;
  }
}

/**
 * Requires the synthesized bundle in an isolated module registry (so module-scope caches start empty) and returns an
 * invoker that runs each call under `vars`, restoring the environment after.
 */
export function loadBundledHandler(vars: Record<string, string>): BundledHandler {
  const file = synthesizedBundleFile();
  const env = isolatedEnv(vars);
  const saved = process.env;
  process.env = env;
  let handler: BundledHandler | undefined;
  try {
    jest.isolateModules(() => {
      handler = (require(file) as { handler: BundledHandler }).handler;
    });
  } finally {
    process.env = saved;
  }
  const loaded = handler;
  if (loaded === undefined) throw new Error(`The bundle ${file} exports no handler`);
  return (event) => withEnv(env, () => loaded(event));
}

/**
 * Before each test, the receiver accepts every delivery with 204 and the handler's one log line per delivery is
 * silenced; after each, the spies are restored. For the bundled-handler suites that assert on deliveries.
 */
export function acceptDeliveriesQuietly(receiver: () => LocalReceiver): void {
  beforeEach(() => {
    receiver().respondWith((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());
}
