/**
 * What goes into the callbacker bundle, read from esbuild's metafile of the real build options: the libraries the
 * handler imports are exact-pinned, the AWS SDK comes in its ES module builds, and no package is bundled twice.
 */
import { buildSync, type Metafile } from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { callbackerBuildOptions, REPOSITORY_ROOT } from '../../scripts/build-callbacker';

const root = REPOSITORY_ROOT;
let metafile: Metafile;

beforeAll(() => {
  metafile = buildSync({ ...callbackerBuildOptions(path.join(root, 'handler', 'index.ts'), root, 'test/0'), metafile: true }).metafile;
});

/** `node_modules/<name>/...` paths by package name, each with the folders it was bundled from. */
function bundledPackages(): Map<string, Set<string>> {
  const packages = new Map<string, Set<string>>();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/((?:@[^/]+\/)?[^/]+))\//.exec(input);
    if (match === null) continue;
    const folders = packages.get(match[2]) ?? new Set<string>();
    folders.add(match[1]);
    packages.set(match[2], folders);
  }
  return packages;
}

describe('the callbacker bundle', () => {
  it('holds the AWS SDK clients, the presigner, standardwebhooks and ipaddr.js', () => {
    // GIVEN / WHEN
    const names = [...bundledPackages().keys()];

    // THEN
    expect(names).toEqual(
      expect.arrayContaining([
        '@aws-sdk/client-s3',
        '@aws-sdk/s3-request-presigner',
        '@aws-sdk/client-sts',
        '@aws-sdk/client-secrets-manager',
        'standardwebhooks',
        'ipaddr.js',
      ]),
    );
  });

  it('bundles one copy of every package, so the SDK clients share one @smithy/core and one @aws-sdk/core', () => {
    // GIVEN / WHEN
    const twice = [...bundledPackages()].filter(([, folders]) => folders.size > 1).map(([name, folders]) => `${name}: ${[...folders].join(', ')}`);

    // THEN
    expect(twice).toEqual([]);
  });

  it('takes the ES module builds of the AWS SDK, which tree-shake', () => {
    // GIVEN / WHEN
    const commonJs = Object.keys(metafile.inputs).filter((input) => /node_modules\/@(aws-sdk|smithy)\/[^/]+\/dist-cjs\//.test(input));

    // THEN
    expect(commonJs).toEqual([]);
  });

  it('imports only packages pinned to an exact version in devDependencies', () => {
    // GIVEN
    const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };

    // WHEN
    const imported = new Set(
      Object.entries(metafile.inputs)
        .filter(([input]) => input.startsWith('handler/'))
        .flatMap(([, { imports }]) => imports.map((i) => i.original ?? ''))
        .filter((specifier) => specifier !== '' && !specifier.startsWith('.') && !specifier.startsWith('node:'))
        .map((specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/')),
    );

    // THEN
    expect([...imported].sort()).toEqual(
      ['@aws-sdk/client-s3', '@aws-sdk/client-secrets-manager', '@aws-sdk/client-sts', '@aws-sdk/credential-provider-env', '@aws-sdk/s3-request-presigner', 'ipaddr.js', 'standardwebhooks'],
    );
    for (const name of imported) expect(`${name}@${manifest.devDependencies[name]}`).toMatch(/@\d+\.\d+\.\d+$/);
  });

  it("takes the function's credentials from the environment only: the node default chain's other providers are not bundled", () => {
    // GIVEN
    const packages = bundledPackages();
    // THEN
    expect(packages.has('@aws-sdk/credential-provider-env')).toBe(true);
    for (const chain of ['@aws-sdk/credential-provider-node', '@aws-sdk/credential-provider-ini', '@aws-sdk/credential-provider-sso', '@aws-sdk/credential-provider-process', '@aws-sdk/credential-provider-web-identity']) {
      expect(packages.has(chain)).toBe(false);
    }
  });
});
