/**
 * What the published package holds and promises, read from package.json and `npm pack --dry-run` after the build
 * that `npm test` runs first. Whether it installs and works in another project with other peer versions is proven by
 * scripts/consumer-check.ts (`npm run test:consumer`, run by .ci/run after `npm test`).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
interface Manifest {
  name: string;
  main: string;
  types: string;
  exports: Record<string, string | Record<string, string>>;
  files: string[];
  scripts: Record<string, string>;
  engines: { node: string };
  devEngines: { runtime: { name: string; version: string } };
  dependencies?: Record<string, string>;
  bin?: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  repository: { type: string; url: string };
  bugs: { url: string };
  homepage: string;
  license: string;
}
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;
const PEERS = ['@cdktf/provider-archive', '@cdktf/provider-aws', 'cdktf', 'constructs'];
/** What the query API client and CLI need at run time: the AWS SDK's SigV4 signer, its SHA-256 and its credential chain. */
const CLIENT_DEPENDENCIES = ['@aws-crypto/sha256-js', '@aws-sdk/credential-providers', '@smithy/signature-v4'];

let packed: string[];
beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, manifest.main))) throw new Error(`${manifest.main} is missing: run npm run build (npm test does) first`);
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' })) as [{ files: { path: string }[] }];
  packed = pack.files.map((f) => f.path).sort();
});

/** Every module a compiled file loads: its `require()` targets and the optional peer loaded through `load()`. */
function requiredModules(file: string): string[] {
  return [...fs.readFileSync(file, 'utf8').matchAll(/\b(?:require|load)\((["'])([^"']+)\1\)/g)].map((m) => m[2]);
}

describe('the published file list', () => {
  it('ships the compiled constructs and client with their types, the prebuilt functions, the schemas and the documents', () => {
    // THEN
    expect(packed).toEqual(
      expect.arrayContaining([
        'dist/constructs/index.js',
        'dist/constructs/index.d.ts',
        'dist/client/index.js',
        'dist/client/index.d.ts',
        'dist/client/bin.js',
        'dist/callbacker/index.js',
        'dist/callbacker/callbacker.zip',
        'dist/query-api/index.js',
        'dist/query-api/query-api.zip',
        'schemas/callback-payload.schema.json',
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
        'package.json',
      ]),
    );
  });

  it('ships nothing that does not run: no sources, tests, twin, bench, main program or build output of other tools', () => {
    // WHEN
    const extra = packed.filter(
      (file) =>
        !/^dist\/(constructs|client)\/.+\.(js|d\.ts)$/.test(file) &&
        !['dist/callbacker/index.js', 'dist/callbacker/callbacker.zip', 'dist/query-api/index.js', 'dist/query-api/query-api.zip', 'README.md', 'LICENSE', 'CHANGELOG.md', 'package.json'].includes(file) &&
        !/^schemas\/[^/]+\.json$/.test(file),
    );
    // THEN
    expect(extra).toEqual([]);
  });

  it('ships a compiled file for every construct module, and every file a shipped module requires', () => {
    // GIVEN
    const shippedJs = packed.filter((f) => f.startsWith('dist/constructs/') && f.endsWith('.js'));
    // WHEN
    const missing = shippedJs.flatMap((file) =>
      requiredModules(path.join(ROOT, file))
        .filter((m) => m.startsWith('.'))
        .map((m) => path.posix.join(path.posix.dirname(file), `${m}.js`))
        .filter((target) => !packed.includes(target)),
    );
    // THEN
    expect(shippedJs.length).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });

  it('requires at run time only Node built-ins and the peer dependencies: no esbuild, no zip library', () => {
    // WHEN
    const external = new Set(
      packed
        .filter((f) => f.endsWith('.js') && f.startsWith('dist/constructs/'))
        .flatMap((f) => requiredModules(path.join(ROOT, f)))
        .filter((m) => !m.startsWith('.') && !m.startsWith('node:'))
        .map((m) => (m.startsWith('@') ? m.split('/').slice(0, 2).join('/') : m.split('/')[0])),
    );
    // THEN
    expect([...external].sort()).toEqual(PEERS);
  });

  it('ships a compiled file for every client module, and the client requires only Node built-ins and its own dependencies', () => {
    // GIVEN
    const shippedJs = packed.filter((f) => f.startsWith('dist/client/') && f.endsWith('.js'));
    // WHEN
    const modules = shippedJs.flatMap((file) => requiredModules(path.join(ROOT, file)));
    const missing = shippedJs.flatMap((file) =>
      requiredModules(path.join(ROOT, file))
        .filter((m) => m.startsWith('.'))
        .map((m) => path.posix.join(path.posix.dirname(file), `${m}.js`))
        .filter((target) => !packed.includes(target) && !packed.includes(target.replace(/\.js$/, '/index.js'))),
    );
    const external = new Set(modules.filter((m) => !m.startsWith('.') && !m.startsWith('node:')).map((m) => (m.startsWith('@') ? m.split('/').slice(0, 2).join('/') : m.split('/')[0])));
    // THEN
    expect(missing).toEqual([]);
    expect([...external].sort()).toEqual(CLIENT_DEPENDENCIES);
  });

  it('ships the async-athena-query command as a Node script', () => {
    // WHEN
    const bin = manifest.bin ?? {};
    // THEN
    expect(bin).toEqual({ 'async-athena-query': 'dist/client/bin.js' });
    expect(packed).toContain(bin['async-athena-query']);
    expect(fs.readFileSync(path.join(ROOT, bin['async-athena-query']), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it('loads @cdktf/provider-archive only from the archive-provider packaging module', () => {
    // WHEN
    const requiring = packed.filter((f) => f.endsWith('.js') && requiredModules(path.join(ROOT, f)).some((m) => m.startsWith('@cdktf/provider-archive')));
    // THEN
    expect(requiring).toEqual(['dist/constructs/archive-packaging.js']);
  });

  it('imports @cdktf/provider-archive in no published type reachable from the entry point, so consumers without it type-check', () => {
    // WHEN
    const naming = packed.filter((f) => f.endsWith('.d.ts') && /(\bfrom\s+|\bimport\()["']@cdktf\/provider-archive/.test(fs.readFileSync(path.join(ROOT, f), 'utf8')));
    // THEN
    expect(naming).toEqual(['dist/constructs/archive-packaging.d.ts']);
    expect(packed.filter((f) => f.endsWith('.d.ts') && fs.readFileSync(path.join(ROOT, f), 'utf8').includes('archive-packaging'))).toEqual([]);
  });
});

describe('package.json', () => {
  it('has peer dependencies on the framework and providers, each pinned exactly as a development dependency', () => {
    // THEN
    expect(Object.keys(manifest.peerDependencies).sort()).toEqual(PEERS);
    for (const peer of PEERS) expect(manifest.devDependencies[peer]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(manifest.peerDependenciesMeta).toEqual({ '@cdktf/provider-archive': { optional: true } });
  });

  it('depends at run time only on what the client needs, each pinned exactly and not also a development dependency', () => {
    // THEN
    expect(Object.keys(manifest.dependencies ?? {}).sort()).toEqual(CLIENT_DEPENDENCIES);
    for (const dependency of CLIENT_DEPENDENCIES) {
      expect(manifest.dependencies?.[dependency]).toMatch(/^\d+\.\d+\.\d+$/);
      expect(manifest.devDependencies[dependency]).toBeUndefined();
    }
  });

  it('keeps esbuild and the zip library development dependencies, exactly pinned', () => {
    expect(manifest.devDependencies.esbuild).toMatch(/^\d+\.\d+\.\d+$/);
    expect(manifest.devDependencies.fflate).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('maps every export to a file the build made and the package ships', () => {
    // GIVEN
    const targets = Object.values(manifest.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target)));
    // WHEN
    const concrete = targets.filter((t) => !t.includes('*')).map((t) => t.replace(/^\.\//, ''));
    // THEN
    expect(manifest.exports['./package.json']).toBe('./package.json');
    expect(manifest.exports['.']).toEqual({ types: `./${manifest.types}`, default: `./${manifest.main}` });
    expect(concrete.filter((t) => !packed.includes(t))).toEqual([]);
    expect(packed.filter((f) => f.startsWith('schemas/'))).not.toEqual([]);
  });

  it('builds on prepare and prepack, so git installs and tarballs get the compiled output and the callbacker', () => {
    expect(manifest.scripts.prepare).toBe('npm run build');
    expect(manifest.scripts.prepack).toBe('npm run build');
    expect(manifest.scripts.build).toContain('tsc -p tsconfig.build.json');
    expect(manifest.scripts.build).toContain('scripts/build-callbacker.ts');
  });

  it('names the repository, bugs and homepage, and the MIT-0 licence it ships', () => {
    expect(manifest.repository).toEqual({ type: 'git', url: expect.stringMatching(/^git\+https:\/\/github\.com\/[^/]+\/[^/]+\.git$/) });
    expect(manifest.bugs.url).toBe(`${manifest.repository.url.replace(/^git\+/, '').replace(/\.git$/, '')}/issues`);
    expect(manifest.homepage.startsWith(manifest.repository.url.replace(/^git\+/, '').replace(/\.git$/, ''))).toBe(true);
    expect(manifest.license).toBe('MIT-0');
    expect(fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT No Attribution\n/);
  });

  it('keeps a changelog in the Keep a Changelog format with an Unreleased section', () => {
    const changelog = fs.readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8');
    expect(changelog).toContain('https://keepachangelog.com/en/1.1.0/');
    expect(changelog).toContain('https://semver.org/spec/v2.0.0.html');
    expect(changelog).toMatch(/^## \[Unreleased\]$/m);
  });

  it('states the Node versions for library users and for contributors, and the README repeats them', () => {
    // GIVEN
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    // THEN
    expect(manifest.engines.node).toMatch(/^>=\d+\.\d+\.\d+$/);
    expect(manifest.devEngines.runtime).toMatchObject({ name: 'node', version: expect.stringMatching(/^>=\d+\.\d+\.\d+$/) });
    expect(readme).toContain(`Node ${manifest.engines.node.replace('>=', '')} or later`);
    expect(readme).toContain(`Node ${manifest.devEngines.runtime.version.replace('>=', '')} or later`);
  });
});
