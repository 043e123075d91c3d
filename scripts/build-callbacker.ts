/**
 * Builds the prebuilt functions that the package ships: the callbacker (handler/index.ts) into
 * `dist/callbacker/index.js` and `dist/callbacker/callbacker.zip`, and the query API function (handler/api/index.ts)
 * into `dist/query-api/index.js` and `dist/query-api/query-api.zip`: each bundled by esbuild and zipped
 * deterministically, the Lambda deployment packages the constructs point Terraform at. `npm run build` runs it after
 * tsc (and so do `prepare` and `prepack`); the tests call {@link buildCallbacker} and {@link buildQueryApi} too, to
 * prove the shipped files equal a fresh build.
 *
 *   node -r ts-node/register/transpile-only scripts/build-callbacker.ts [--out <folder>]
 *
 * With `--out`, the functions go to `<folder>/callbacker/` and `<folder>/query-api/`.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type BuildOptions, buildSync, type TsconfigRaw } from 'esbuild';
import { SHIPPED_FUNCTIONS, type ShippedFunctionName } from '../constructs/callbacker-bundle';
import { zipBundle } from './callbacker-zip';

/** The repository root (this file lives in `scripts/`). */
export const REPOSITORY_ROOT = path.resolve(__dirname, '..');

/**
 * The TypeScript settings the bundle is compiled with, given explicitly so no tsconfig.json is read: the bundle has no
 * hidden input.
 */
const TSCONFIG: TsconfigRaw = { compilerOptions: { target: 'ES2022', strict: true, useDefineForClassFields: true } };

/** The User-Agent of deliveries, `<package name>/<version>`, from the package manifest. */
export function packageUserAgent(root: string = REPOSITORY_ROOT): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  return `${manifest.name}/${manifest.version}`;
}

/**
 * The esbuild options of a function bundle (the callbacker's, the query API function's); everything that shapes the
 * output bytes is here or in the input files. Exported for the bench, which bundles its baselines with the same options.
 */
export function callbackerBuildOptions(entry: string, root: string, userAgent: string): BuildOptions & { write: false } {
  return {
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    minify: true,
    platform: 'node',
    // https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html (nodejs22.x)
    target: 'node22',
    format: 'cjs',
    // ES module builds first: the AWS SDK's ESM builds tree-shake better than its CommonJS ones.
    mainFields: ['module', 'main'],
    // The SDK loads some Node built-ins lazily with import() (node:http in its request handler); as require() they
    // stay plain CommonJS, which any loader of the bundle can serve (a vm.Script sandbox has no import() callback).
    supported: { 'dynamic-import': false },
    // The default credential chain, replaced by the environment provider a Lambda function always has (see
    // handler/sdk/lambda-credentials.ts for why).
    alias: { '@aws-sdk/credential-provider-node': path.join(root, 'handler', 'sdk', 'lambda-credentials.ts') },
    legalComments: 'none',
    sourcemap: false,
    // Content only: no timestamps, no absolute paths (absWorkingDir makes paths in the output relative).
    write: false,
    logLevel: 'silent',
    tsconfigRaw: TSCONFIG,
    define: { __CALLBACKER_USER_AGENT__: JSON.stringify(userAgent) },
  };
}

/** A function as built: both files' bytes and where they were written. */
export interface BuiltCallbacker {
  /** The bundle, `index.js`. */
  readonly bundle: Uint8Array;
  /** The deployment package, `callbacker.zip`. */
  readonly zip: Uint8Array;
  readonly bundleFile: string;
  readonly zipFile: string;
}

/** Options of {@link buildCallbacker} and {@link buildQueryApi}. */
export interface BuildCallbackerOptions {
  /**
   * The repository whose handler/ is bundled and whose package.json names the User-Agent.
   *
   * @default - this repository
   */
  readonly root?: string;
  /**
   * The folder to write `index.js` and the zip to (created when missing).
   *
   * @default - the function's folder under `dist/` of root
   */
  readonly outDir?: string;
}

/** Writes through a temporary file and a rename, so a concurrent reader never sees half a file. */
function writeAtomically(file: string, bytes: Uint8Array): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, bytes, { mode: 0o644 });
  fs.renameSync(temporary, file);
}

/** Bundles one function's entry and zips it; the same sources give the same bytes on every machine. */
export function buildFunction(name: ShippedFunctionName, options: BuildCallbackerOptions = {}): BuiltCallbacker {
  const spec = SHIPPED_FUNCTIONS[name];
  const root = options.root ?? REPOSITORY_ROOT;
  const outDir = options.outDir ?? path.join(root, spec.directory);
  const result = buildSync(callbackerBuildOptions(path.join(root, spec.entry), root, packageUserAgent(root)));
  if (result.outputFiles.length !== 1) throw new Error(`esbuild produced ${result.outputFiles.length} files for ${spec.entry}; expected one`);
  const bundle = result.outputFiles[0].contents;
  const zip = zipBundle(bundle);
  fs.mkdirSync(outDir, { recursive: true });
  const bundleFile = path.join(outDir, spec.bundleFile);
  const zipFile = path.join(outDir, spec.zipFile);
  writeAtomically(bundleFile, bundle);
  writeAtomically(zipFile, zip);
  return { bundle, zip, bundleFile, zipFile };
}

/** Bundles handler/index.ts (the callbacker) and zips it. */
export function buildCallbacker(options: BuildCallbackerOptions = {}): BuiltCallbacker {
  return buildFunction('callbacker', options);
}

/** Bundles handler/api/index.ts (the query API function) and zips it. */
export function buildQueryApi(options: BuildCallbackerOptions = {}): BuiltCallbacker {
  return buildFunction('queryApi', options);
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  if (args.length > 0 && (outIndex !== 0 || args.length !== 2)) {
    process.stderr.write(`Unknown arguments ${args.join(' ')}; expected nothing or --out <folder>\n`);
    process.exit(2);
  }
  for (const name of Object.keys(SHIPPED_FUNCTIONS) as ShippedFunctionName[]) {
    const outDir = outIndex === 0 ? path.join(path.resolve(args[1]), path.basename(SHIPPED_FUNCTIONS[name].directory)) : undefined;
    const built = buildFunction(name, outDir === undefined ? {} : { outDir });
    for (const [file, bytes] of [[built.bundleFile, built.bundle], [built.zipFile, built.zip]] as const) {
      process.stdout.write(`${path.relative(process.cwd(), file)}  ${bytes.length} bytes  sha256 ${sha256(bytes)}\n`);
    }
  }
}
