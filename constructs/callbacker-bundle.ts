import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

/** The callbacker bundle written to disk: one minified CommonJS file, `index.js`, exporting `handler`. */
export interface CallbackerBundle {
  /** Absolute path of the directory that holds `index.js` and nothing else. */
  readonly directory: string;
  /** Absolute path of the bundle file. */
  readonly file: string;
  /** Hex SHA-256 of the bundle bytes. */
  readonly sha256: string;
  /** The User-Agent the bundled handler sends: `<package name>/<version>`. */
  readonly userAgent: string;
}

/** Options for {@link bundleCallbacker}. */
export interface BundleCallbackerOptions {
  /**
   * The TypeScript entry point to bundle.
   *
   * @default - `handler/index.ts` of this package
   */
  readonly entry?: string;
  /**
   * Where to write the bundle directory.
   *
   * @default - a content-addressed folder under the OS temp directory
   */
  readonly outputRoot?: string;
}

/**
 * The bundle file's modification time. archiver and zip tools store mtimes, so a fixed one keeps every zip made
 * from the bundle byte-identical across synths and machines. 1980-01-01 is the earliest date a zip can hold.
 */
const FIXED_MTIME = new Date('1980-01-01T00:00:00Z');

const PACKAGE_NAME = 'cdktf-async-athena-query';

const cache = new Map<string, CallbackerBundle>();

/**
 * Finds this package's root folder, from the sources (`constructs/`) or the compiled output (`dist/constructs/`).
 */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) {
      const manifest = JSON.parse(fs.readFileSync(candidate, 'utf8')) as { name?: string };
      if (manifest.name === PACKAGE_NAME) return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`Cannot find the ${PACKAGE_NAME} package root above ${__dirname}`);
    dir = parent;
  }
}

/** The User-Agent of deliveries, `<package name>/<version>`, read from this package's manifest. */
export function packageUserAgent(): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {
    name: string;
    version: string;
  };
  return `${manifest.name}/${manifest.version}`;
}

/**
 * Bundles the callbacker with esbuild, for the Lambda `nodejs22.x` runtime.
 *
 * The AWS SDK clients are bundled rather than taken from the runtime, so the SDK version is the one this package's
 * lock file pins. The output is deterministic (same sources and lock file, same bytes), and the file's mtime is
 * pinned so zips of it are deterministic too. Bundles are cached per process: stacks with several instances bundle
 * once.
 */
export function bundleCallbacker(options: BundleCallbackerOptions = {}): CallbackerBundle {
  const entry = options.entry ?? path.join(packageRoot(), 'handler', 'index.ts');
  const outputRoot = options.outputRoot ?? path.join(os.tmpdir(), `${PACKAGE_NAME}-bundles`);
  const key = `${entry}\0${outputRoot}`;
  const cached = cache.get(key);
  if (cached && fs.existsSync(cached.file)) return cached;

  const userAgent = packageUserAgent();
  const result = buildSync({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    platform: 'node',
    // https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html (nodejs22.x)
    target: 'node22',
    format: 'cjs',
    legalComments: 'none',
    sourcemap: false,
    write: false,
    logLevel: 'silent',
    define: { __CALLBACKER_USER_AGENT__: JSON.stringify(userAgent) },
  });
  const bytes = result.outputFiles[0].contents;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const directory = path.join(outputRoot, sha256.slice(0, 32));
  const file = path.join(directory, 'index.js');
  if (!fs.existsSync(file) || createHash('sha256').update(fs.readFileSync(file)).digest('hex') !== sha256) {
    fs.mkdirSync(directory, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, bytes, { mode: 0o644 });
    fs.renameSync(temporary, file);
  }
  fs.chmodSync(file, 0o644);
  fs.utimesSync(file, FIXED_MTIME, FIXED_MTIME);
  const bundle: CallbackerBundle = { directory, file, sha256, userAgent };
  cache.set(key, bundle);
  return bundle;
}
