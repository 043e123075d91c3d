/**
 * The on-disk bundle cache: a hit gives exactly the bytes of a fresh build and skips esbuild; any change to the
 * sources, an outside input, the cached bytes or the folder's ownership makes it build again.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BundleCallbackerOptions, CallbackerBundle } from '../../constructs/callbacker-bundle';

const HANDLER_DIR = path.resolve(__dirname, '..', '..', 'handler');
let scratch: string;

beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bundle-cache-'));
});

afterEach(() => {
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** Bundles in a fresh module registry (so the per-process memo is empty) and counts esbuild builds. */
function bundleInFreshProcess(options: BundleCallbackerOptions): { bundle: CallbackerBundle; builds: number } {
  let builds = 0;
  let bundle: CallbackerBundle | undefined;
  jest.isolateModules(() => {
    const esbuild = jest.requireActual<typeof import('esbuild')>('esbuild');
    jest.doMock('esbuild', () => ({
      ...esbuild,
      buildSync: (...args: Parameters<typeof esbuild.buildSync>) => {
        builds += 1;
        return esbuild.buildSync(...args);
      },
    }));
    const { bundleCallbacker } = require('../../constructs/callbacker-bundle') as typeof import('../../constructs/callbacker-bundle');
    bundle = bundleCallbacker(options);
  });
  jest.dontMock('esbuild');
  if (bundle === undefined) throw new Error('bundleCallbacker returned nothing');
  return { bundle, builds };
}

/** A copy of the handler sources to edit, and its entry file. */
function copyOfHandler(): string {
  const dir = path.join(scratch, 'src', 'handler');
  fs.cpSync(HANDLER_DIR, dir, { recursive: true });
  // The handler imports the AWS SDK and other packages: the copy resolves them from this repository's node_modules.
  fs.symlinkSync(path.resolve(HANDLER_DIR, '..', 'node_modules'), path.join(scratch, 'src', 'node_modules'), 'dir');
  return path.join(dir, 'index.ts');
}

describe('bundle cache', () => {
  it('serves a second synth from disk, byte-identical to a fresh build, without running esbuild', () => {
    // GIVEN
    const outputRoot = path.join(scratch, 'out');
    const cold = bundleInFreshProcess({ outputRoot });

    // WHEN
    const warm = bundleInFreshProcess({ outputRoot });
    const fresh = bundleInFreshProcess({ outputRoot: path.join(scratch, 'elsewhere') });

    // THEN
    expect([cold.builds, warm.builds, fresh.builds]).toEqual([1, 0, 1]);
    expect(warm.bundle).toEqual(cold.bundle);
    expect(fs.readFileSync(warm.bundle.file)).toEqual(fs.readFileSync(fresh.bundle.file));
    expect(fs.statSync(warm.bundle.file).mtime.toISOString()).toBe('1980-01-01T00:00:00.000Z');
  });

  it('rebuilds when a handler source changes', () => {
    // GIVEN
    const entry = copyOfHandler();
    const outputRoot = path.join(scratch, 'out');
    const before = bundleInFreshProcess({ entry, outputRoot });

    // WHEN
    fs.appendFileSync(path.join(path.dirname(entry), 'errors.ts'), '\nexport const CACHE_TEST_MARKER = "changed";\nconsole.log(CACHE_TEST_MARKER);\n');
    const after = bundleInFreshProcess({ entry, outputRoot });

    // THEN
    expect(after.builds).toBe(1);
    expect(after.bundle.sha256).not.toBe(before.bundle.sha256);
    expect(fs.readFileSync(after.bundle.file, 'utf8')).toContain('changed');
  });

  it('rebuilds when a file is added to the handler folder, even one nothing imports yet', () => {
    // GIVEN
    const entry = copyOfHandler();
    const outputRoot = path.join(scratch, 'out');
    bundleInFreshProcess({ entry, outputRoot });

    // WHEN
    fs.mkdirSync(path.join(path.dirname(entry), 'nested'));
    fs.writeFileSync(path.join(path.dirname(entry), 'nested', 'new-file.ts'), 'export const x = 1;\n');
    const after = bundleInFreshProcess({ entry, outputRoot });

    // THEN
    expect(after.builds).toBe(1);
  });

  it('rebuilds when an input outside the handler folder changes', () => {
    // GIVEN: an entry that imports a module from a sibling folder, as a bundled package would be
    const entryDir = path.join(scratch, 'src', 'entry');
    fs.mkdirSync(entryDir, { recursive: true });
    fs.mkdirSync(path.join(scratch, 'src', 'shared'));
    fs.writeFileSync(path.join(scratch, 'src', 'shared', 'greeting.ts'), 'export const greeting = "hello";\n');
    fs.writeFileSync(path.join(entryDir, 'index.ts'), 'import { greeting } from "../shared/greeting";\nexport const handler = async () => greeting;\n');
    const options = { entry: path.join(entryDir, 'index.ts'), outputRoot: path.join(scratch, 'out') };
    const first = bundleInFreshProcess(options);
    const unchanged = bundleInFreshProcess(options);

    // WHEN
    fs.writeFileSync(path.join(scratch, 'src', 'shared', 'greeting.ts'), 'export const greeting = "bonjour";\n');
    const changed = bundleInFreshProcess(options);

    // THEN
    expect([first.builds, unchanged.builds, changed.builds]).toEqual([1, 0, 1]);
    expect(fs.readFileSync(changed.bundle.file, 'utf8')).toContain('bonjour');
  });

  it('rebuilds, with the right bytes, when the cached bundle was altered', () => {
    // GIVEN
    const outputRoot = path.join(scratch, 'out');
    const cold = bundleInFreshProcess({ outputRoot });
    const cacheDir = path.join(outputRoot, 'cache');
    const cached = path.join(cacheDir, `${cold.bundle.sha256}.js`);
    fs.writeFileSync(cached, 'exports.handler = async () => "planted";');

    // WHEN
    const warm = bundleInFreshProcess({ outputRoot });

    // THEN
    expect(warm.builds).toBe(1);
    expect(warm.bundle.sha256).toBe(cold.bundle.sha256);
    expect(fs.readFileSync(warm.bundle.file, 'utf8')).not.toContain('planted');
  });

  it('ignores a cache folder that others can write to', () => {
    // GIVEN
    const outputRoot = path.join(scratch, 'out');
    bundleInFreshProcess({ outputRoot });
    fs.chmodSync(path.join(outputRoot, 'cache'), 0o777);

    // WHEN
    const warm = bundleInFreshProcess({ outputRoot });

    // THEN
    expect(warm.builds).toBe(1);
  });
});
