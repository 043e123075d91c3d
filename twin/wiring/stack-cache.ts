/**
 * Synthesizes main.ts's stack and evaluates its artifacts once per content, for every twin in every process.
 *
 * Synthesis (about 1 s, plus loading cdktf) and Terraform evaluation (about 0.3 s) are the slow part of starting a
 * twin. Their output depends only on the module's sources, the lock file and the variable values, so it is cached in
 * the OS temp directory under a hash of exactly those: a change to any construct, builder or handler file gives a new
 * entry, and a stale result is never served.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { unzipBundle, ZIP_ENTRY } from '../../scripts/callbacker-zip';
import { type CodePackageArtifact, readTwinArtifacts, type TwinArtifacts } from './stack-artifacts';
import { synthesizeMainStack } from './synthesized-stack';

/** The repository root (this file lives in `twin/`). */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/** Sources whose content determines the synthesized stack. */
const INPUTS = [
  'main.ts',
  'package.json',
  'package-lock.json',
  'tsconfig.json',
  'cdktf.json',
  'constructs',
  'handler',
  // The prebuilt functions the stack ships (npm run build), and the reader that unzips them.
  'dist/callbacker',
  'dist/query-api',
  'scripts/callbacker-zip.ts',
  'twin/wiring/synthesized-stack.ts',
  'twin/wiring/stack-artifacts.ts',
  'twin/wiring/stack-cache.ts',
];

/** Entries older than this are removed when a new one is written. */
const MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** A synthesized stack on disk and its evaluated artifacts. */
export interface CachedStack {
  /** The stack directory (`cdk.tf.json`, `assets/`). */
  readonly directory: string;
  readonly artifacts: TwinArtifacts;
  /**
   * Absolute path of the callbacker's unzipped deployment package: `index.js` taken out of the zip the stack ships,
   * with the library the build zipped it with, so the twin runs the exact bytes Lambda would.
   */
  readonly bundleDirectory: string;
  /** Absolute path of the query API function's unzipped deployment package, likewise. */
  readonly queryApiBundleDirectory: string;
  /** Whether this call synthesized (false: served from the cache). */
  readonly synthesized: boolean;
}

function listFiles(entry: string): string[] {
  const absolute = path.join(PACKAGE_ROOT, entry);
  if (!fs.existsSync(absolute)) return [];
  if (fs.statSync(absolute).isFile()) return [entry];
  return fs
    .readdirSync(absolute, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((child) => listFiles(path.join(entry, child.name)));
}

/** Hash of every input file's path and bytes, and of the variable values. */
export function stackInputsHash(variables: Readonly<Record<string, unknown>>): string {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap(listFiles)) {
    hash.update(file).update('\0').update(fs.readFileSync(path.join(PACKAGE_ROOT, file))).update('\0');
  }
  hash.update(JSON.stringify(Object.entries(variables).sort(([a], [b]) => a.localeCompare(b))));
  return hash.digest('hex').slice(0, 24);
}

function removeStaleEntries(root: string, keep: string): void {
  for (const entry of fs.readdirSync(root)) {
    const full = path.join(root, entry);
    try {
      if (entry !== keep && Date.now() - fs.statSync(full).mtimeMs > MAX_AGE_MS) fs.rmSync(full, { recursive: true, force: true });
    } catch {
      // Another process may be removing it too.
    }
  }
}

/** The folders of a cache entry that hold the unzipped deployment packages. */
const CODE_DIRECTORY = 'code';
const QUERY_API_CODE_DIRECTORY = 'query-api-code';

/**
 * Writes what Lambda would unpack from the function's deployment package into `target`: the shipped zip's entry, or
 * (archive-provider packaging, whose zip only exists after a plan) the file the archive provider would zip.
 */
function unpackCode(stackDirectory: string, code: CodePackageArtifact, target: string): void {
  const source = fs.readFileSync(path.join(stackDirectory, code.file));
  fs.mkdirSync(target, { recursive: true });
  fs.writeFileSync(path.join(target, ZIP_ENTRY), code.kind === 'zip' ? unzipBundle(source) : source);
}

/** Fails early, and says what to do, when the terraform CLI that evaluates the stack's expressions is missing. */
function requireTerraform(): void {
  try {
    execFileSync('terraform', ['version'], { stdio: 'ignore', env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
  } catch {
    throw new Error(
      'The twin evaluates the synthesized stack (definition, templates, environment) with the terraform CLI, which was ' +
        'not found on PATH. Install Terraform 1.x (no providers or network needed) and retry.',
    );
  }
}

/** The default cache folder. */
export function defaultCacheRoot(): string {
  return path.join(os.tmpdir(), 'cdktf-async-athena-query-twin');
}

/**
 * Returns the synthesized stack and artifacts for these variables, from the cache when the inputs are unchanged.
 * Safe to call from parallel processes: entries are written to a private folder and renamed into place.
 */
export function loadStack(variables: Readonly<Record<string, unknown>>, cacheRoot: string = defaultCacheRoot()): CachedStack {
  fs.mkdirSync(cacheRoot, { recursive: true });
  const key = stackInputsHash(variables);
  const entry = path.join(cacheRoot, key);
  const read = (synthesized: boolean): CachedStack => {
    const artifacts = JSON.parse(fs.readFileSync(path.join(entry, 'artifacts.json'), 'utf8')) as TwinArtifacts;
    const directory = path.join(entry, 'stack');
    return { directory, artifacts, bundleDirectory: path.join(entry, CODE_DIRECTORY), queryApiBundleDirectory: path.join(entry, QUERY_API_CODE_DIRECTORY), synthesized };
  };
  if (fs.existsSync(path.join(entry, 'artifacts.json'))) return read(false);

  requireTerraform();
  const staging = fs.mkdtempSync(path.join(cacheRoot, `.staging-${key}-`));
  try {
    const stack = synthesizeMainStack(path.join(staging, 'cdktf.out'));
    const artifacts = readTwinArtifacts(stack, variables);
    fs.renameSync(stack.directory, path.join(staging, 'stack'));
    fs.rmSync(path.join(staging, 'cdktf.out'), { recursive: true, force: true });
    unpackCode(path.join(staging, 'stack'), artifacts.callbacker.codePackage, path.join(staging, CODE_DIRECTORY));
    unpackCode(path.join(staging, 'stack'), artifacts.queryApi.codePackage, path.join(staging, QUERY_API_CODE_DIRECTORY));
    fs.writeFileSync(path.join(staging, 'artifacts.json'), JSON.stringify(artifacts, null, 2));
    try {
      fs.renameSync(staging, entry);
    } catch (error) {
      // A parallel process won the race; its entry has the same content.
      if (!fs.existsSync(path.join(entry, 'artifacts.json'))) throw error;
    }
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  removeStaleEntries(cacheRoot, key);
  return read(true);
}
