/**
 * A content-addressed, on-disk cache of callbacker bundles, so a synth whose inputs have not changed skips esbuild
 * (spawning it and bundling cost about 0.3 s of a 0.5 s synth).
 *
 * The key covers everything that shapes the output: a format number, the esbuild version, the build options (entry,
 * target, defines, TypeScript settings) and the path and content of every file in the entry's folder tree. Inputs
 * from elsewhere (node_modules) are listed in the entry's manifest with their content hashes and those of their
 * packages' package.json, and re-checked on every lookup. A hit returns the exact bytes esbuild produced for the same
 * inputs; __tests__/constructs/bundle-cache.test.ts checks that they equal a fresh build's.
 *
 * The folder sits in the temp directory, which other users can write to: entries are used only from a folder this
 * user owns and nobody else can write, so nobody else can plant code into the Lambda bundle.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Bump when the key or manifest layout changes, so older entries are never read. */
const CACHE_FORMAT = 1;

interface CachedInput {
  readonly file: string;
  readonly sha256: string;
}

interface CacheManifest {
  readonly format: number;
  readonly bundleSha256: string;
  /** Inputs outside the entry's folder tree, with the package.json of their packages. */
  readonly inputs: readonly CachedInput[];
}

function sha256Of(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function fileSha256(file: string): string | undefined {
  try {
    return sha256Of(fs.readFileSync(file));
  } catch {
    return undefined;
  }
}

/** Every file under `dir`, as sorted paths relative to it. */
function listTree(dir: string, prefix = ''): string[] {
  return fs
    .readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((entry) => {
      const relative = path.posix.join(prefix, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : listTree(dir, relative);
      return entry.isFile() ? [relative] : [];
    })
    .sort();
}

/** A digest of the names and contents of every file in a folder tree: adding, renaming or editing any file changes it. */
function treeDigest(dir: string): string {
  const hash = createHash('sha256');
  for (const relative of listTree(dir)) hash.update(`${relative}\0${fileSha256(path.join(dir, relative))}\n`);
  return hash.digest('hex');
}

/**
 * The cache key for a build.
 *
 * @param buildOptions the esbuild options, JSON-serialisable
 * @param esbuildVersion the running esbuild's version
 * @param entry the entry file; its folder tree is hashed
 */
export function cacheKeyOf(buildOptions: object, esbuildVersion: string, entry: string): string {
  return sha256Of(JSON.stringify({ format: CACHE_FORMAT, esbuildVersion, buildOptions, sources: treeDigest(path.dirname(entry)) }));
}

/** The nearest package.json above a file: it steers how esbuild resolves the package (main, module, exports). */
function packageManifestOf(file: string): string | undefined {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'package.json');
    if (fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** True when the folder exists, belongs to this user and nobody else may write to it. Always true where there are no uids. */
function isPrivateFolder(dir: string): boolean {
  if (typeof process.getuid !== 'function') return true;
  try {
    const stat = fs.lstatSync(dir);
    return stat.isDirectory() && stat.uid === process.getuid() && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function isManifest(value: unknown): value is CacheManifest {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<CacheManifest>;
  return (
    candidate.format === CACHE_FORMAT &&
    typeof candidate.bundleSha256 === 'string' &&
    Array.isArray(candidate.inputs) &&
    candidate.inputs.every((input: Partial<CachedInput>) => typeof input.file === 'string' && typeof input.sha256 === 'string')
  );
}

/** Whether a file lies outside a folder tree. */
function isOutside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative);
}

/** One cache entry: a manifest `<key>.json` and the bundle bytes `<sha256>.js`, in `dir`. */
export class BundleCache {
  /**
   * @param dir the cache folder
   * @param key from {@link cacheKeyOf}
   * @param sourceRoot the entry's folder, whose tree the key covers
   */
  constructor(
    private readonly dir: string,
    private readonly key: string,
    private readonly sourceRoot: string,
  ) {}

  private get manifestFile(): string {
    return path.join(this.dir, `${this.key}.json`);
  }

  /** The cached bundle bytes, or undefined on a miss, a changed input, a damaged entry or an untrusted folder. */
  lookup(): Buffer | undefined {
    if (!isPrivateFolder(this.dir)) return undefined;
    let manifest: unknown;
    try {
      manifest = JSON.parse(fs.readFileSync(this.manifestFile, 'utf8'));
    } catch {
      return undefined;
    }
    if (!isManifest(manifest) || manifest.inputs.some((input) => fileSha256(input.file) !== input.sha256)) return undefined;
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(path.join(this.dir, `${manifest.bundleSha256}.js`));
    } catch {
      return undefined;
    }
    return sha256Of(bytes) === manifest.bundleSha256 ? bytes : undefined;
  }

  /**
   * Stores a fresh build. Failing to store is not an error: the next synth builds again.
   *
   * @param bytes the bundle esbuild produced
   * @param inputs absolute paths of every file esbuild read (its metafile inputs)
   */
  remember(bytes: Uint8Array, inputs: readonly string[]): void {
    const external = new Set<string>();
    for (const file of inputs.filter((input) => isOutside(this.sourceRoot, input))) {
      external.add(file);
      const manifestFile = packageManifestOf(file);
      if (manifestFile !== undefined) external.add(manifestFile);
    }
    const entries = [...external].sort().map((file) => ({ file, sha256: fileSha256(file) }));
    if (entries.some((entry) => entry.sha256 === undefined)) return;
    const bundleSha256 = sha256Of(bytes);
    const manifest: CacheManifest = { format: CACHE_FORMAT, bundleSha256, inputs: entries as CachedInput[] };
    try {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      if (!isPrivateFolder(this.dir)) return;
      write(path.join(this.dir, `${bundleSha256}.js`), bytes);
      write(this.manifestFile, JSON.stringify(manifest));
    } catch {
      // A read-only or full temp directory only costs the next synth a build.
    }
  }
}

/** Through a temporary file and a rename, so concurrent synths never read half an entry. */
function write(file: string, data: Uint8Array | string): void {
  const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(temporary, data, { mode: 0o600 });
  fs.renameSync(temporary, file);
}
