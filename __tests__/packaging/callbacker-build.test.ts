/**
 * The prebuilt functions the package ships (dist/callbacker and dist/query-api, made by `npm run build`) are exactly
 * what a fresh build of handler/ gives, builds are byte-identical whatever the process or time zone, and the zips have
 * the fixed shape the constructs and the twin rely on.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { shippedCallbacker, shippedQueryApi } from '../../constructs/callbacker-bundle';
import { buildCallbacker, buildQueryApi, REPOSITORY_ROOT } from '../../scripts/build-callbacker';
import { InvalidCallbackerZipError, unzipBundle, zipBundle } from '../../scripts/callbacker-zip';

let scratch: string;
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'callbacker-build-'));
});
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** Builds in a separate Node process with the given time zone, the way `npm run build` runs the script. */
function buildInChildProcess(outDir: string, timeZone: string): void {
  execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', path.join(REPOSITORY_ROOT, 'scripts', 'build-callbacker.ts'), '--out', outDir], {
    cwd: REPOSITORY_ROOT,
    env: { ...process.env, TZ: timeZone },
    stdio: 'pipe',
  });
}

/** The fields of the zip's single central directory entry. https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT 4.3.12 */
function centralEntry(zip: Uint8Array): { madeBy: number; dosTime: number; dosDate: number; externalAttributes: number; name: string } {
  const bytes = Buffer.from(zip);
  const at = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  const nameLength = bytes.readUInt16LE(at + 28);
  return {
    madeBy: bytes.readUInt16LE(at + 4),
    dosTime: bytes.readUInt16LE(at + 12),
    dosDate: bytes.readUInt16LE(at + 14),
    externalAttributes: bytes.readUInt32LE(at + 38),
    name: bytes.subarray(at + 46, at + 46 + nameLength).toString('utf8'),
  };
}

describe('the shipped callbacker', () => {
  it('is byte-identical to a fresh build of handler/, bundle and zip', () => {
    // GIVEN
    const shipped = shippedCallbacker();
    // WHEN
    const fresh = buildCallbacker({ outDir: path.join(scratch, 'fresh') });
    // THEN
    expect(Buffer.from(fresh.bundle).equals(fs.readFileSync(shipped.bundleFile))).toBe(true);
    expect(Buffer.from(fresh.zip).equals(fs.readFileSync(shipped.zipFile))).toBe(true);
  });

  it('holds the shipped bundle, and only it, as index.js in the zip', () => {
    // GIVEN
    const shipped = shippedCallbacker();
    // THEN
    expect(Buffer.from(unzipBundle(fs.readFileSync(shipped.zipFile))).equals(fs.readFileSync(shipped.bundleFile))).toBe(true);
    expect(fs.readdirSync(shipped.directory).sort()).toEqual(['callbacker.zip', 'index.js']);
  });
});

describe('the shipped query API function', () => {
  it('is byte-identical to a fresh build of handler/api/, bundle and zip', () => {
    // GIVEN
    const shipped = shippedQueryApi();
    // WHEN
    const fresh = buildQueryApi({ outDir: path.join(scratch, 'fresh-query-api') });
    // THEN
    expect(Buffer.from(fresh.bundle).equals(fs.readFileSync(shipped.bundleFile))).toBe(true);
    expect(Buffer.from(fresh.zip).equals(fs.readFileSync(shipped.zipFile))).toBe(true);
  });

  it('holds the shipped bundle, and only it, as index.js in the zip', () => {
    // GIVEN
    const shipped = shippedQueryApi();
    // THEN
    expect(Buffer.from(unzipBundle(fs.readFileSync(shipped.zipFile))).equals(fs.readFileSync(shipped.bundleFile))).toBe(true);
    expect(fs.readdirSync(shipped.directory).sort()).toEqual(['index.js', 'query-api.zip']);
  });

  it('leaves out what it never uses: the Secrets Manager client and the signing library', () => {
    // GIVEN
    const code = fs.readFileSync(shippedQueryApi().bundleFile, 'utf8');
    // THEN
    expect(code).not.toMatch(/secretsmanager/i);
    expect(code).not.toContain('whsec_');
  });
});

describe('buildCallbacker and buildQueryApi', () => {
  it('give identical bytes in two processes with different time zones', () => {
    // WHEN
    buildInChildProcess(path.join(scratch, 'kiritimati'), 'Pacific/Kiritimati');
    buildInChildProcess(path.join(scratch, 'honolulu'), 'Pacific/Honolulu');
    // THEN
    for (const file of ['callbacker/index.js', 'callbacker/callbacker.zip', 'query-api/index.js', 'query-api/query-api.zip']) {
      expect(fs.readFileSync(path.join(scratch, 'kiritimati', file)).equals(fs.readFileSync(path.join(scratch, 'honolulu', file)))).toBe(true);
    }
  });

  it('writes a zip with one index.js entry made on Unix, mode 0644, dated 1980-01-01 00:00', () => {
    // WHEN
    const entry = centralEntry(fs.readFileSync(shippedCallbacker().zipFile));
    // THEN
    expect(entry.name).toBe('index.js');
    expect(entry.madeBy >> 8).toBe(3);
    expect(entry.externalAttributes >>> 16).toBe(0o100644);
    // DOS date: (year - 1980) << 9 | month << 5 | day; DOS time 0 is midnight.
    expect(entry.dosDate).toBe((0 << 9) | (1 << 5) | 1);
    expect(entry.dosTime).toBe(0);
  });

  it('bundles for Lambda: a CommonJS module that exports handler and names this package in its user agent', () => {
    // GIVEN
    const code = fs.readFileSync(shippedCallbacker().bundleFile, 'utf8');
    const loaded = { exports: {} as Record<string, unknown> };
    // WHEN
    new Function('module', 'exports', 'require', code)(loaded, loaded.exports, require);
    // THEN
    expect(typeof loaded.exports.handler).toBe('function');
    expect(code).toMatch(/cdktf-async-athena-query\/\d+\.\d+\.\d+/);
  });
});

describe('zipBundle and unzipBundle', () => {
  it('round-trips bytes and gives the same zip for the same bytes', () => {
    // GIVEN
    const bundle = Buffer.from('exports.handler = async () => 1;\n'.repeat(100));
    // WHEN
    const [a, b] = [zipBundle(bundle), zipBundle(Buffer.from(bundle))];
    // THEN
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(unzipBundle(a)).equals(bundle)).toBe(true);
    expect(a.length).toBeLessThan(bundle.length);
  });

  it('refuses bytes that are not a zip', () => {
    expect(() => unzipBundle(Buffer.from('not a zip'))).toThrow(InvalidCallbackerZipError);
  });
});
