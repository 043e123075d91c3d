/**
 * Builds the CDK Terrain flavour of the package, `cdktn-async-athena-query`, into `dist/cdktn/`: the compiled
 * constructs of the CDKTF package (`dist/constructs/`, from tsc) with every import of `cdktf` and `@cdktf/*` rewritten
 * to `cdktn` and `@cdktn/*`, the same prebuilt callbacker bytes, the schemas, LICENSE and CHANGELOG, a README pointing
 * at the main one, and a package.json with cdktn's peer dependencies. One source tree, two packages: nothing else
 * is rewritten, so both synthesize the same Terraform (scripts/cdktn-check.ts proves it).
 *
 * `npm run build` runs it after tsc and the callbacker build; `npm run pack:cdktn` and `npm run publish:cdktn` pack and
 * publish the folder.
 *
 *   node -r ts-node/register/transpile-only scripts/cdktn-flavour.ts
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as ts from 'typescript';
import { archiveProviderPackage, FLAVOURS } from '../constructs/flavours';

/** The repository root (this file lives in `scripts/`). */
export const REPOSITORY_ROOT = path.resolve(__dirname, '..');

/** Where the build writes the CDK Terrain package, relative to the repository root. */
export const CDKTN_DIRECTORY = path.join('dist', 'cdktn');

const { cdktf, cdktn } = FLAVOURS;

/**
 * The CDK Terrain package's peer dependencies. cdktn 0.24 requires constructs `>=10.6.0 <10.8.0` (its own peer
 * range); @cdktn/provider-aws 25.x is the line built for cdktn 0.24 (24.x wants cdktn 0.23) and carries AWS provider
 * 6.x like @cdktf/provider-aws 21.x (25.5.0: 6.64.0, 25.7.0: 6.66.0); the lower ends are the oldest releases proven
 * by `npm run test:cdktn`.
 */
export const CDKTN_PEER_DEPENDENCIES: Readonly<Record<string, string>> = {
  [cdktn.framework]: '^0.24.0',
  constructs: '>=10.6.0 <10.8.0',
  [`${cdktn.providerScope}/provider-aws`]: '^25.5.0',
  [archiveProviderPackage(cdktn)]: '^14.0.1',
};

/**
 * The Node.js versions the CDK Terrain package supports: what @cdktn/provider-aws 25 and @cdktn/provider-archive 14
 * declare (`>= 22.11.0`). The cdktn CLI itself needs 22.19 or later.
 */
export const CDKTN_NODE_ENGINES = '>=22.11.0';

/** An import names a `@cdktf/*` package that has no known CDK Terrain counterpart. */
export class UnmappedImportError extends Error {
  constructor(file: string, specifier: string) {
    super(
      `${file} imports '${specifier}', a CDKTF package with no CDK Terrain counterpart in scripts/cdktn-flavour.ts. ` +
        `Add it to the peer dependencies of both flavours (package.json and CDKTN_PEER_DEPENDENCIES) first.`,
    );
    this.name = 'UnmappedImportError';
  }
}

/** A module name in a file: its text without quotes, and where that text is. */
export interface ModuleSpecifier {
  readonly value: string;
  /** Offset of the first character inside the quotes. */
  readonly start: number;
  /** Offset just after the last character inside the quotes. */
  readonly end: number;
}

/**
 * Every module name a JavaScript or declaration file refers to: `import`/`export ... from`, `import x = require()`,
 * `require()`, `require.resolve()`, `import()`, `import('...').T` types and `declare module '...'`. Found with the
 * TypeScript parser, so a module name is never confused with a string that merely looks like one.
 */
export function moduleSpecifiers(text: string, fileName: string): ModuleSpecifier[] {
  const kind = fileName.endsWith('.d.ts') || fileName.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
  const found: ModuleSpecifier[] = [];
  const add = (node: ts.Node | undefined): void => {
    if (node !== undefined && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))) {
      found.push({ value: node.text, start: node.getStart(source) + 1, end: node.getEnd() - 1 });
    }
  };
  const isRequire = (expression: ts.Expression): boolean =>
    (ts.isIdentifier(expression) && expression.text === 'require') ||
    (ts.isPropertyAccessExpression(expression) && ts.isIdentifier(expression.expression) && expression.expression.text === 'require' && expression.name.text === 'resolve');
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isExternalModuleReference(node)) add(node.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    else if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name)) add(node.name);
    else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || isRequire(node.expression)) && node.arguments.length >= 1) {
      add(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The scoped CDKTF packages the CDKTF flavour may import, each with its CDK Terrain name. */
function scopedPackages(): Map<string, string> {
  return new Map(
    Object.keys(CDKTN_PEER_DEPENDENCIES)
      .filter((name) => name.startsWith(`${cdktn.providerScope}/`))
      .map((name) => [`${cdktf.providerScope}/${name.slice(cdktn.providerScope.length + 1)}`, name]),
  );
}

/** Whether a module name is the CDKTF framework or one of its scoped packages (with or without a subpath). */
export function namesCdktf(specifier: string): boolean {
  return specifier === cdktf.framework || specifier.startsWith(`${cdktf.framework}/`) || specifier.startsWith(`${cdktf.providerScope}/`);
}

/** The CDK Terrain name of a module name: `cdktf/lib/x` -> `cdktn/lib/x`, `@cdktf/provider-aws/lib/y` -> `@cdktn/...`. */
export function cdktnSpecifier(specifier: string, file: string): string {
  if (specifier === cdktf.framework || specifier.startsWith(`${cdktf.framework}/`)) return cdktn.framework + specifier.slice(cdktf.framework.length);
  if (!specifier.startsWith(`${cdktf.providerScope}/`)) return specifier;
  const [scope, name] = specifier.split('/');
  const mapped = scopedPackages().get(`${scope}/${name}`);
  if (mapped === undefined) throw new UnmappedImportError(file, specifier);
  return mapped + specifier.slice(scope.length + 1 + name.length);
}

/**
 * One compiled file of the CDKTF flavour as the CDK Terrain flavour ships it: every module name rewritten (see
 * {@link cdktnSpecifier}), and the names of the scoped provider packages in comments too, so the documentation a
 * user's editor shows names the packages they install. Everything else stays byte for byte.
 *
 * @throws UnmappedImportError for an import of an unknown `@cdktf/*` package
 */
export function rewriteForCdktn(text: string, file: string): string {
  let rewritten = text;
  // From the end, so earlier offsets stay valid.
  for (const specifier of moduleSpecifiers(text, file).sort((a, b) => b.start - a.start)) {
    rewritten = rewritten.slice(0, specifier.start) + cdktnSpecifier(specifier.value, file) + rewritten.slice(specifier.end);
  }
  for (const [from, to] of scopedPackages()) rewritten = rewritten.split(from).join(to);
  // The rewrite is exact or the build fails: no module name of CDKTF may remain.
  const left = moduleSpecifiers(rewritten, file).filter((s) => namesCdktf(s.value));
  if (left.length > 0) throw new Error(`${file}: CDKTF module names remain after the rewrite: ${left.map((s) => s.value).join(', ')}`);
  return rewritten;
}

/** The fields of package.json this script reads or writes. */
export interface Manifest {
  name: string;
  version: string;
  description: string;
  license: string;
  repository: { type: string; url: string };
  bugs: { url: string };
  homepage: string;
  main: string;
  types: string;
  exports: Record<string, unknown>;
  files: string[];
  engines: { node: string };
  keywords: string[];
  peerDependencies: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  [key: string]: unknown;
}

/** The anchor of the README section about the two flavours. */
export const FLAVOURS_README_ANCHOR = 'cdktf-or-cdk-terrain';

/** The CDK Terrain package's package.json, from the CDKTF one: same version, files and exports; cdktn's peers. */
export function cdktnManifest(manifest: Manifest): Manifest {
  const optional = Object.entries(manifest.peerDependenciesMeta ?? {}).map(([name, meta]) => [cdktnSpecifier(name, 'package.json'), meta]);
  for (const peer of Object.keys(manifest.peerDependencies)) {
    const counterpart = cdktnSpecifier(peer, 'package.json');
    if (CDKTN_PEER_DEPENDENCIES[counterpart] === undefined) throw new Error(`package.json peer ${peer} has no CDK Terrain range (${counterpart}) in CDKTN_PEER_DEPENDENCIES`);
  }
  return {
    name: cdktn.packageName,
    version: manifest.version,
    description: `${manifest.description.replace('CDKTF', 'CDK Terrain (cdktn)')} The CDK Terrain flavour of ${cdktf.packageName}, built from the same source.`,
    license: manifest.license,
    repository: manifest.repository,
    bugs: manifest.bugs,
    homepage: `${manifest.homepage.replace(/#.*$/, '')}#${FLAVOURS_README_ANCHOR}`,
    main: manifest.main,
    types: manifest.types,
    exports: manifest.exports,
    files: manifest.files,
    engines: { node: CDKTN_NODE_ENGINES },
    keywords: [...new Set(manifest.keywords.flatMap((k) => (k === cdktf.framework ? [cdktn.framework, 'cdk-terrain'] : [k])))],
    peerDependencies: { ...CDKTN_PEER_DEPENDENCIES },
    peerDependenciesMeta: Object.fromEntries(optional),
  };
}

/** The install command of the CDK Terrain package with its required peers (the optional ones left out). */
export function cdktnInstallCommand(manifest: Manifest = cdktnManifest(readManifest())): string {
  const optional = manifest.peerDependenciesMeta ?? {};
  const peers = Object.entries(manifest.peerDependencies)
    .filter(([name]) => optional[name]?.optional !== true)
    .map(([name, range]) => (/\s/.test(range) ? `'${name}@${range}'` : `${name}@${range}`));
  return `npm install ${manifest.name} ${peers.join(' ')}`;
}

/** The CDK Terrain package's README: what it is, how to install it, and where the documentation is. */
function cdktnReadme(manifest: Manifest): string {
  const docs = manifest.homepage;
  return [
    `# ${manifest.name}`,
    '',
    `The CDK Terrain (cdktn) flavour of [${cdktf.packageName}](${docs.replace(/#.*$/, '')}): the same constructs, built from`,
    `the same source, with the imports of \`${cdktf.framework}\` and \`${cdktf.providerScope}/*\` rewritten to \`${cdktn.framework}\` and`,
    `\`${cdktn.providerScope}/*\`. It synthesizes the same Terraform, resource addresses included, so a CDKTF project moves to it`,
    'without state changes.',
    '',
    '```sh',
    cdktnInstallCommand(manifest),
    '```',
    '',
    `Node.js ${manifest.engines.node.replace('>=', '')} or later (the @cdktn providers require it; the cdktn CLI needs 22.19), and`,
    '`"targetVersions": { "terraform": ">=1.11.0" }` in cdktf.json: the signing secret is a write-only argument.',
    '',
    `Documentation: [CDKTF or CDK Terrain](${docs}) in the repository README, which applies to both packages.`,
    '',
  ].join('\n');
}

function readManifest(root: string = REPOSITORY_ROOT): Manifest {
  return JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;
}

function listFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => (entry.isDirectory() ? listFiles(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));
}

/** The compiled constructs the CDKTF package ships (its `files`: `.js` and `.d.ts` under dist/constructs/). */
export function compiledConstructFiles(root: string = REPOSITORY_ROOT): string[] {
  const dir = path.join(root, 'dist', 'constructs');
  if (!fs.existsSync(dir)) throw new Error(`${dir} is missing: run tsc -p tsconfig.build.json (npm run build does) first`);
  return listFiles(dir)
    .filter((file) => file.endsWith('.js') || file.endsWith('.d.ts'))
    .map((file) => path.relative(root, file));
}

/** Options of {@link buildCdktnFlavour}. */
export interface BuildCdktnFlavourOptions {
  /**
   * The repository holding the built CDKTF package (dist/constructs, dist/callbacker) and package.json.
   *
   * @default - this repository
   */
  readonly root?: string;
  /**
   * The folder to write the CDK Terrain package to; its previous content is removed.
   *
   * @default - `dist/cdktn` under root
   */
  readonly outDir?: string;
}

/**
 * The files of the prebuilt Lambda packages: every folder of dist/ holding a deployment zip (dist/callbacker,
 * dist/query-api), found rather than listed so a new function cannot be left out of the cdktn package.
 */
function prebuiltPackageFiles(root: string): string[] {
  const dist = path.join(root, 'dist');
  return fs
    .readdirSync(dist, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.readdirSync(path.join(dist, entry.name)).some((file) => file.endsWith('.zip')))
    .map((entry) => entry.name)
    .sort()
    .flatMap((folder) => fs.readdirSync(path.join(dist, folder)).sort().map((file) => path.join('dist', folder, file)));
}

/** Writes the CDK Terrain package; returns the files written, relative to its folder. */
export function buildCdktnFlavour(options: BuildCdktnFlavourOptions = {}): string[] {
  const root = options.root ?? REPOSITORY_ROOT;
  const outDir = options.outDir ?? path.join(root, CDKTN_DIRECTORY);
  const manifest = cdktnManifest(readManifest(root));
  fs.rmSync(outDir, { recursive: true, force: true });
  const written: string[] = [];
  const write = (relative: string, bytes: string | Buffer): void => {
    fs.mkdirSync(path.dirname(path.join(outDir, relative)), { recursive: true });
    fs.writeFileSync(path.join(outDir, relative), bytes, { mode: 0o644 });
    written.push(relative);
  };
  for (const file of compiledConstructFiles(root)) write(file, rewriteForCdktn(fs.readFileSync(path.join(root, file), 'utf8'), file));
  // Byte for byte: the prebuilt Lambda packages (dist/callbacker, dist/query-api, ...), so the asset hashes and the
  // deployed functions are the same in both flavours, and the license and changelog.
  for (const file of [...prebuiltPackageFiles(root), 'LICENSE', 'CHANGELOG.md']) {
    write(file, fs.readFileSync(path.join(root, file)));
  }
  for (const schema of fs.readdirSync(path.join(root, 'schemas')).filter((f) => f.endsWith('.json')).sort()) {
    write(path.join('schemas', schema), fs.readFileSync(path.join(root, 'schemas', schema)));
  }
  write('README.md', cdktnReadme(manifest));
  write('package.json', `${JSON.stringify(manifest, null, 2)}\n`);
  return written;
}

if (require.main === module) {
  const written = buildCdktnFlavour();
  process.stdout.write(`${CDKTN_DIRECTORY}/: ${cdktn.packageName}, ${written.length} files (npm run pack:cdktn packs it)\n`);
}
