import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type BuildOptions, buildSync, type TsconfigRaw, version as esbuildVersion } from 'esbuild';
import { BundleCache, cacheKeyOf } from './bundle-cache';

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
   * Bundles go into content-addressed subfolders; the on-disk bundle cache lives in its `cache/` subfolder.
   *
   * @default - `cdktf-async-athena-query-bundles` in the OS temp directory
   */
  readonly outputRoot?: string;
}

/**
 * The bundle file's modification time. archiver and zip tools store mtimes, so a fixed one keeps every zip made
 * from the bundle byte-identical across synths and machines. 1980-01-01 is the earliest date a zip can hold.
 */
const FIXED_MTIME = new Date('1980-01-01T00:00:00Z');

const PACKAGE_NAME = 'cdktf-async-athena-query';

/** Bundles made by this process, by entry and output root. */
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
 * The TypeScript settings the bundle is compiled with, given explicitly so no tsconfig.json is read: the bundle is
 * the same from this repository and from an installed copy (which ships no tsconfig), and the cache below has no
 * hidden input.
 */
const TSCONFIG: TsconfigRaw = { compilerOptions: { target: 'ES2022', strict: true, useDefineForClassFields: true } };

/**
 * The esbuild options of the callbacker bundle; everything that shapes the output bytes is here or in the input
 * files. Exported for the bench, which bundles its SDK baseline with the same options.
 */
export function callbackerBuildOptions(entry: string, root: string, userAgent: string): BuildOptions & { write: false; metafile: true } {
  return {
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    minify: true,
    platform: 'node',
    // https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html (nodejs22.x)
    target: 'node22',
    format: 'cjs',
    // The AWS SDK's ES module builds tree-shake far better than its CommonJS ones (about 30% smaller zipped).
    mainFields: ['module', 'main'],
    // The SDK loads some Node built-ins lazily with import() (node:http in its request handler); as require() they
    // stay plain CommonJS, which any loader of the bundle can serve (a vm.Script sandbox has no import() callback).
    supported: { 'dynamic-import': false },
    legalComments: 'none',
    sourcemap: false,
    write: false,
    metafile: true,
    logLevel: 'silent',
    tsconfigRaw: TSCONFIG,
    define: { __CALLBACKER_USER_AGENT__: JSON.stringify(userAgent) },
  };
}

function sha256Of(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes through a temporary file and a rename, so concurrent synths (jest workers) never see half a file. */
function writeAtomically(file: string, bytes: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(temporary, bytes, { mode: 0o644 });
  fs.renameSync(temporary, file);
}

/**
 * Writes the bundle into its content-addressed folder (unless an identical file is there) and pins mode and mtime.
 */
function placeBundle(bytes: Uint8Array, outputRoot: string, userAgent: string): CallbackerBundle {
  const sha256 = sha256Of(bytes);
  const directory = path.join(outputRoot, sha256.slice(0, 32));
  const file = path.join(directory, 'index.js');
  if (!fs.existsSync(file) || sha256Of(fs.readFileSync(file)) !== sha256) writeAtomically(file, bytes);
  fs.chmodSync(file, 0o644);
  fs.utimesSync(file, FIXED_MTIME, FIXED_MTIME);
  return { directory, file, sha256, userAgent };
}

/**
 * Bundles the callbacker with esbuild, for the Lambda `nodejs22.x` runtime.
 *
 * The bundle holds the handler and the libraries it uses (the AWS SDK clients, standardwebhooks, ipaddr.js), from
 * this package's exact-pinned devDependencies. The output is deterministic (same sources, same bytes), and the file's
 * mtime is pinned so zips of it are deterministic too. Bundles are cached per process (stacks with several instances bundle once) and
 * on disk under `outputRoot` (see ./bundle-cache.ts), so a synth whose inputs have not changed skips esbuild.
 */
export function bundleCallbacker(options: BundleCallbackerOptions = {}): CallbackerBundle {
  const root = packageRoot();
  const entry = options.entry ?? path.join(root, 'handler', 'index.ts');
  const outputRoot = options.outputRoot ?? path.join(os.tmpdir(), `${PACKAGE_NAME}-bundles`);
  const memoKey = `${entry}\0${outputRoot}`;
  const memo = cache.get(memoKey);
  if (memo && fs.existsSync(memo.file)) return memo;

  const userAgent = packageUserAgent();
  const buildConfig = callbackerBuildOptions(entry, root, userAgent);
  const diskCache = new BundleCache(path.join(outputRoot, 'cache'), cacheKeyOf(buildConfig, esbuildVersion, entry), path.dirname(entry));
  const hit = diskCache.lookup();
  const bundle = hit !== undefined ? placeBundle(hit, outputRoot, userAgent) : buildAndRemember(buildConfig, root, outputRoot, userAgent, diskCache);
  cache.set(memoKey, bundle);
  return bundle;
}

function buildAndRemember(
  buildConfig: BuildOptions & { write: false; metafile: true },
  root: string,
  outputRoot: string,
  userAgent: string,
  diskCache: BundleCache,
): CallbackerBundle {
  const result = buildSync(buildConfig);
  const bytes = result.outputFiles[0].contents;
  const bundle = placeBundle(bytes, outputRoot, userAgent);
  diskCache.remember(bytes, Object.keys(result.metafile.inputs).map((input) => path.resolve(root, input)));
  return bundle;
}
