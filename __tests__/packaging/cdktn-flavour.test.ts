/**
 * The CDK Terrain flavour (`cdktn-async-athena-query`, written to dist/cdktn/ by `npm run build`): the import rewrite
 * that makes it, and the package the build made (npm test builds first). That it installs in a cdktn project and
 * synthesizes the same Terraform as the CDKTF flavour is proven by scripts/cdktn-check.ts (`npm run test:cdktn`, run
 * by .ci/run after npm test).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { App } from 'cdktf';
import { AsyncAthenaQueryStack, REQUIRED_TERRAFORM_VERSION } from '../../constructs';
import { FLAVOURS } from '../../constructs/flavours';
import { useScratchTempDir } from '../support/synth';
import {
  CDKTN_DIRECTORY,
  CDKTN_NODE_ENGINES,
  CDKTN_PEER_DEPENDENCIES,
  cdktnInstallCommand,
  compiledClientFiles,
  compiledConstructFiles,
  FLAVOURS_README_ANCHOR,
  type Manifest,
  moduleSpecifiers,
  namesCdktf,
  rewriteForCdktn,
  UnmappedImportError,
} from '../../scripts/cdktn-flavour';

useScratchTempDir();
const ROOT = path.resolve(__dirname, '..', '..');
const FLAVOUR_ROOT = path.join(ROOT, CDKTN_DIRECTORY);
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest & { scripts: Record<string, string>; devDependencies: Record<string, string> };
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

beforeAll(() => {
  if (!fs.existsSync(path.join(FLAVOUR_ROOT, 'package.json'))) throw new Error(`${CDKTN_DIRECTORY} is missing: run npm run build (npm test does) first`);
});

/** The files `npm pack` would put in the package of a folder. */
function packedFiles(folder: string): string[] {
  const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', folder], { cwd: ROOT, encoding: 'utf8' })) as [{ files: { path: string }[] }];
  return pack.files.map((f) => f.path).sort();
}

describe('rewriteForCdktn', () => {
  it('rewrites require() of cdktf and of the scoped provider packages, subpaths kept', () => {
    // GIVEN
    const js = 'const cdktf_1 = require("cdktf");\nconst iam_role_1 = require("@cdktf/provider-aws/lib/iam-role");\n';
    // WHEN
    const rewritten = rewriteForCdktn(js, 'x.js');
    // THEN
    expect(rewritten).toBe('const cdktf_1 = require("cdktn");\nconst iam_role_1 = require("@cdktn/provider-aws/lib/iam-role");\n');
  });

  it('rewrites every form of module name a declaration file holds: import, import type, export from, import() types', () => {
    // GIVEN
    const dts = [
      "import { TerraformStack } from 'cdktf';",
      "import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';",
      "export { Testing } from 'cdktf/lib/testing';",
      "export declare const p: typeof import('@cdktf/provider-archive/lib/provider').ArchiveProvider;",
      "import fs = require('cdktf');",
      "declare module 'cdktf' {}",
      '',
    ].join('\n');
    // WHEN
    const rewritten = rewriteForCdktn(dts, 'x.d.ts');
    // THEN
    expect(rewritten).toBe(
      [
        "import { TerraformStack } from 'cdktn';",
        "import type { IamRole } from '@cdktn/provider-aws/lib/iam-role';",
        "export { Testing } from 'cdktn/lib/testing';",
        "export declare const p: typeof import('@cdktn/provider-archive/lib/provider').ArchiveProvider;",
        "import fs = require('cdktn');",
        "declare module 'cdktn' {}",
        '',
      ].join('\n'),
    );
  });

  it('rewrites dynamic import() and require.resolve()', () => {
    expect(rewriteForCdktn("import('cdktf'); require.resolve('@cdktf/provider-aws/package.json');", 'x.js')).toBe(
      "import('cdktn'); require.resolve('@cdktn/provider-aws/package.json');",
    );
  });

  it('leaves strings that are not module names alone, even when they read cdktf: tags, descriptions, context keys', () => {
    // GIVEN
    const js = "const tags = { ManagedBy: 'cdktf-async-athena-query' }; node.tryGetContext('cdktf'); const d = 'cdktf';\n// cdktf 0.21 renders tokens so\n";
    // WHEN / THEN
    expect(rewriteForCdktn(js, 'x.js')).toBe(js);
  });

  it('leaves alone a package whose name merely starts with cdktf', () => {
    const js = "require('cdktf-async-athena-query'); require('cdktf-local-exec');";
    expect(rewriteForCdktn(js, 'x.js')).toBe(js);
  });

  it('names the scoped provider packages the cdktn user installs in comments too, so editors show the right package', () => {
    expect(rewriteForCdktn('/** needs the optional peer dependency `@cdktf/provider-archive` */\n', 'x.d.ts')).toBe('/** needs the optional peer dependency `@cdktn/provider-archive` */\n');
  });

  it('refuses an import of a CDKTF package that has no known cdktn counterpart, naming the file and the import', () => {
    // WHEN
    const rewrite = () => rewriteForCdktn("require('@cdktf/provider-random/lib/id');", 'dist/constructs/x.js');
    // THEN
    expect(rewrite).toThrow(UnmappedImportError);
    expect(rewrite).toThrow("dist/constructs/x.js imports '@cdktf/provider-random/lib/id', a CDKTF package with no CDK Terrain counterpart");
  });
});

describe('moduleSpecifiers', () => {
  it('finds module names by parsing, not by pattern: a string that looks like one is not one', () => {
    // WHEN
    const found = moduleSpecifiers("const name = 'cdktf'; require('cdktf'); load('cdktf');", 'x.js');
    // THEN
    expect(found.map((s) => s.value)).toEqual(['cdktf']);
    expect(found[0].start).toBe("const name = 'cdktf'; require('".length);
  });
});

describe('the built CDK Terrain package (dist/cdktn)', () => {
  const flavourFile = (file: string): string => fs.readFileSync(path.join(FLAVOUR_ROOT, file), 'utf8');

  it('ships the same files as the CDKTF package', () => {
    expect(packedFiles(`./${CDKTN_DIRECTORY}`)).toEqual(packedFiles('.'));
  });

  it('imports no cdktf module anywhere in its compiled JavaScript or declarations', () => {
    // WHEN
    const offending = compiledConstructFiles(FLAVOUR_ROOT).flatMap((file) =>
      moduleSpecifiers(flavourFile(file), file)
        .filter((s) => namesCdktf(s.value))
        .map((s) => `${file}: ${s.value}`),
    );
    // THEN
    expect(offending).toEqual([]);
    expect(compiledConstructFiles(FLAVOUR_ROOT).length).toBeGreaterThan(20);
  });

  it('is the CDKTF package rewritten, file by file: one source tree, nothing else changed', () => {
    // GIVEN
    const cdktfFiles = compiledConstructFiles(ROOT);
    // THEN
    expect(compiledConstructFiles(FLAVOUR_ROOT)).toEqual(cdktfFiles);
    for (const file of cdktfFiles) expect(flavourFile(file)).toBe(rewriteForCdktn(fs.readFileSync(path.join(ROOT, file), 'utf8'), file));
  });

  it('requires at run time only its peer dependencies: cdktn, constructs and the @cdktn providers', () => {
    // WHEN
    const external = new Set(
      compiledConstructFiles(FLAVOUR_ROOT)
        .filter((f) => f.endsWith('.js'))
        .flatMap((f) => moduleSpecifiers(flavourFile(f), f).map((s) => s.value))
        .filter((m) => !m.startsWith('.') && !m.startsWith('node:'))
        .map((m) => (m.startsWith('@') ? m.split('/').slice(0, 2).join('/') : m.split('/')[0])),
    );
    // THEN
    expect([...external].sort()).toEqual(Object.keys(CDKTN_PEER_DEPENDENCIES).sort());
  });

  it('ships the same prebuilt functions, query API client and command, schemas, LICENSE and CHANGELOG, byte for byte', () => {
    // GIVEN
    const files = [...compiledClientFiles(ROOT), 'dist/callbacker/index.js', 'dist/callbacker/callbacker.zip', 'dist/query-api/index.js', 'dist/query-api/query-api.zip', 'schemas/callback-payload.schema.json', 'LICENSE', 'CHANGELOG.md'];
    // WHEN
    const differing = files.filter((file) => !fs.readFileSync(path.join(FLAVOUR_ROOT, file)).equals(fs.readFileSync(path.join(ROOT, file))));
    // THEN
    expect(differing).toEqual([]);
  });

  it('knows at run time that it is the cdktn flavour: a missing archive provider is named @cdktn/provider-archive with its range', () => {
    // GIVEN the compiled loader of dist/cdktn, in a process where @cdktn/provider-archive cannot be found
    const program = `
      const { loadArchiveProvider } = require(${JSON.stringify(path.join(FLAVOUR_ROOT, 'dist', 'constructs', 'archive-packaging.js'))});
      try { loadArchiveProvider('Callbacker'); } catch (error) { process.stdout.write(JSON.stringify({ name: error.name, message: error.message })); }`;
    // WHEN
    const thrown = JSON.parse(execFileSync(process.execPath, ['-e', program], { cwd: ROOT, encoding: 'utf8' })) as { name: string; message: string };
    // THEN
    expect(thrown.name).toBe('MissingPeerDependencyError');
    expect(thrown.message).toContain(`npm install --save-dev @cdktn/provider-archive@${CDKTN_PEER_DEPENDENCIES['@cdktn/provider-archive']}\``);
  });
});

describe('the CDK Terrain package.json', () => {
  const flavourManifest = JSON.parse(fs.readFileSync(path.join(FLAVOUR_ROOT, 'package.json'), 'utf8')) as Manifest & Record<string, unknown>;

  it('is named for cdktn and has the version, entry points, command, exports, files and licence of the CDKTF package', () => {
    expect(flavourManifest.name).toBe(FLAVOURS.cdktn.packageName);
    for (const field of ['version', 'main', 'types', 'bin', 'exports', 'files', 'license', 'repository', 'bugs'] as const) expect(flavourManifest[field]).toEqual(manifest[field]);
  });

  it("has cdktn's peer dependencies: cdktn, constructs in cdktn's range, the @cdktn providers, the archive provider optional", () => {
    expect(flavourManifest.peerDependencies).toEqual({ cdktn: '^0.24.0', constructs: '>=10.6.0 <10.8.0', '@cdktn/provider-aws': '^25.5.0', '@cdktn/provider-archive': '^14.0.1' });
    expect(flavourManifest.peerDependenciesMeta).toEqual({ '@cdktn/provider-archive': { optional: true } });
  });

  it("has a cdktn counterpart for every peer of the CDKTF package, the client's dependencies as they are, and no script", () => {
    expect(Object.keys(flavourManifest.peerDependencies).length).toBe(Object.keys(manifest.peerDependencies).length);
    expect(flavourManifest.dependencies).toEqual(manifest.dependencies);
    expect(flavourManifest.devDependencies).toBeUndefined();
    expect(flavourManifest.scripts).toBeUndefined();
  });

  it('states the Node versions the @cdktn providers need, and the README repeats them with the CLI one', () => {
    expect(flavourManifest.engines).toEqual({ node: CDKTN_NODE_ENGINES });
    expect(readme).toContain(`${CDKTN_NODE_ENGINES.replace('>=', '')} or later; 22.19.0 for the \`cdktn\` CLI`);
  });

  it('points to the README section on the two flavours, which exists', () => {
    expect(flavourManifest.homepage).toMatch(new RegExp(`#${FLAVOURS_README_ANCHOR}$`));
    expect(readme).toMatch(/^## CDKTF or CDK Terrain$/m);
    expect(fs.readFileSync(path.join(FLAVOUR_ROOT, 'README.md'), 'utf8')).toContain(`#${FLAVOURS_README_ANCHOR})`);
  });
});

describe('building, packing and publishing the two flavours', () => {
  it('builds the cdktn flavour in npm run build, after tsc and the callbacker', () => {
    expect(manifest.scripts.build).toMatch(/tsc -p tsconfig\.build\.json && .*scripts\/build-callbacker\.ts && .*scripts\/cdktn-flavour\.ts$/);
  });

  it('packs and publishes the cdktn flavour with one command each, after a build', () => {
    expect(manifest.scripts['pack:cdktn']).toBe(`npm run build && npm pack ./${CDKTN_DIRECTORY}`);
    expect(manifest.scripts['publish:cdktn']).toBe(`npm run build && npm publish ./${CDKTN_DIRECTORY}`);
  });

  it('gives in the README the install command that matches the peer ranges, and the commands the check runs', () => {
    expect(readme).toContain(cdktnInstallCommand());
    for (const command of ['npm run pack:cdktn', 'npm run publish:cdktn', 'npm run test:cdktn']) expect(readme).toContain(command);
  });
});

describe('AsyncAthenaQueryStack: the Terraform versions it targets, for CDK Terrain', () => {
  it('declares Terraform >= 1.11.0 (its required_version) as its targetVersions when the app declares none', () => {
    // WHEN
    const stack = new AsyncAthenaQueryStack(new App(), 'deploy');
    // THEN
    expect(stack.node.tryGetContext('targetVersions')).toEqual({ terraform: REQUIRED_TERRAFORM_VERSION });
    expect(REQUIRED_TERRAFORM_VERSION).toBe('>= 1.11.0');
  });

  it("keeps the targets the app declares: they are the user's to choose", () => {
    // GIVEN
    const declared = { terraform: '>=1.12.0', opentofu: '>=1.11.0' };
    // WHEN
    const stack = new AsyncAthenaQueryStack(new App({ context: { targetVersions: declared } }), 'deploy');
    // THEN
    expect(stack.node.tryGetContext('targetVersions')).toEqual(declared);
  });
});
