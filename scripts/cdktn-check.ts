/**
 * The CDK Terrain flavour (`cdktn-async-athena-query`) as a cdktn project gets it, compared with the CDKTF flavour.
 *
 * Packs both flavours with the commands the README gives (`npm run pack:cdktn`, `npm pack`) and installs each tarball
 * in a scratch project with its framework's peers at our pins. The cdktf project gets a program that synthesizes the
 * package's stack (`AsyncAthenaQueryStack`, deploy stack and `asModule: true`), a user's stack with two instances (in
 * both packaging modes) and the README's "Use it from CDKTF" stack; the cdktn project gets the same files migrated by
 * the README's import rewrite command. Both are type-checked strictly and synthesized through `App.synth()` (the cdktn
 * CLI needs Node 22.19; this runs on the machine's Node), and compared:
 *
 * - the same resource, data, ephemeral, variable, output and provider addresses, and the same asset files;
 * - the same stack JSON, except the differences listed in KNOWN_DIFFERENCES, each with its reason: any other
 *   difference fails, and so does an entry that no longer matches anything;
 * - the same IAM policies, state machine definitions, mapping templates, Lambda environment, Terraform variables and
 *   every other argument and output, as the real terraform binary evaluates them (twin/wiring/synthesized-stack.ts);
 * - the cdktn `asModule` stack split as `npm run module` splits it is the committed terraform/async-athena-query/.
 *
 * A second cdktn project with the lowest peer versions (and without the optional archive provider) type-checks,
 * synthesizes the same Terraform, and names `@cdktn/provider-archive` when the archive packaging needs it.
 *
 * It takes a few minutes, so .ci/run runs it after `npm test`; it ends with `cdktn: N passed, M failed`. Downloads are
 * cached in `.cache/npm` like the consumer check's.
 *
 *   npm run test:cdktn [-- --keep]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FLAVOURS } from '../constructs/flavours';
import { evaluateInStack, readSynthesizedStack, type SynthesizedStack } from '../twin/wiring/synthesized-stack';
import { CDKTN_DIRECTORY, CDKTN_PEER_DEPENDENCIES, moduleSpecifiers, namesCdktf, rewriteForCdktn } from './cdktn-flavour';
import { assert, CheckTally, lowerEnd, must, NPM_CACHE, npmEnv, ROOT, run } from './check-support';
import { MODULE_DIRECTORY, MODULE_README, moduleFiles, readModule } from './module-artifact';
import { type ReadmeSnippet, readmeSnippets } from './readme-snippets';

const { cdktf, cdktn } = FLAVOURS;
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};

/** The README section about the two flavours, whose commands and code this check runs. */
const FLAVOURS_SECTION = 'CDKTF or CDK Terrain';

/**
 * The versions the cdktn project installs, as devDependencies pin the cdktf ones: the newest of each peer range the
 * registry has (cdktn 0.24.0, constructs 10.7.2 under cdktn's `<10.8.0`, @cdktn/provider-aws 25.7.0 = AWS provider
 * 6.66.0, @cdktn/provider-archive 14.0.1).
 */
const CDKTN_PINS: Readonly<Record<string, string>> = {
  [cdktn.framework]: '0.24.0',
  constructs: '10.7.2',
  [`${cdktn.providerScope}/provider-aws`]: '25.7.0',
  [`${cdktn.providerScope}/provider-archive`]: '14.0.1',
};

/** A difference between the flavours' stack JSON that is expected, and why. */
interface KnownDifference {
  /** Matches the path of the differing value (`terraform.required_providers.aws.version`). */
  readonly path: RegExp;
  readonly reason: string;
}

/**
 * Every expected difference between the stacks the two flavours synthesize. Nothing else may differ.
 */
const KNOWN_DIFFERENCES: readonly KnownDifference[] = [
  {
    path: /^\/\/\.metadata\.version$/,
    reason: 'each framework writes its own version (cdktf 0.21.x, cdktn 0.24.x) into the `//` metadata comment, which Terraform ignores',
  },
  {
    path: /^terraform\.required_providers\.(aws|archive)\.source$/,
    reason:
      'cdktf writes the short source (`aws`), cdktn the full one (`hashicorp/aws`): Terraform reads both as ' +
      'registry.terraform.io/hashicorp/aws (`terraform providers` shows it, see the check below), the address the state ' +
      'records, so nothing moves. Only the user\'s stacks: the package\'s stack and module write `hashicorp/aws` themselves',
  },
  {
    path: /^terraform\.required_providers\.(aws|archive)\.version$/,
    reason:
      'a stack that does not constrain a provider itself gets the exact provider version its prebuilt provider package was ' +
      'generated from (@cdktf/provider-aws 21.22.1: AWS provider 6.25.0; @cdktn/provider-aws 25.x: 6.64.0 to 6.66.0; ' +
      '@cdktf/provider-archive 11 and @cdktn/provider-archive 14 likewise). Only the user\'s stacks: the package\'s ' +
      'stack and module require hashicorp/aws >= 6.0.0 themselves. Both are AWS provider 6.x, which the module needs',
  },
];

/** Values of the module's required input, for evaluating the package's stacks. */
const STAND_IN_VARIABLES = { output_location: 's3://athena-results/async/' };

/** The program both projects run, written for cdktf; the cdktn project gets it through the README's rewrite. */
const MAIN_TS = `import { App, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AsyncAthenaQuery, AsyncAthenaQueryStack, type CallbackerPackaging } from 'cdktf-async-athena-query';
import { AnalyticsStack } from './readme-stack';

/** A user's stack: two instances, with the given packaging of the callbacker. */
class TwoInstances extends TerraformStack {
  constructor(scope: Construct, id: string, packaging: CallbackerPackaging) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: 'eu-west-1' });
    new AsyncAthenaQuery(this, 'Orders', { workGroup: 'orders', outputLocation: 's3://analytics-results/orders/', callbackerPackaging: packaging });
    new AsyncAthenaQuery(this, 'Billing', { workGroup: 'billing', outputLocation: 's3://analytics-results/billing/', callbackerPackaging: packaging });
  }
}

const [outdir, mode] = process.argv.slice(2);
// What the targetVersions of cdktf.json give the app when a CLI runs it: cdktn checks features against them.
const targetVersions: unknown = process.env.TARGET_VERSIONS === undefined ? undefined : JSON.parse(process.env.TARGET_VERSIONS);
const app = new App({ outdir, context: targetVersions === undefined ? {} : { targetVersions } });
if (mode === 'package') {
  new AsyncAthenaQueryStack(app, 'deploy');
  new AsyncAthenaQueryStack(app, 'module', { asModule: true });
} else if (mode === 'consumer') {
  new TwoInstances(app, 'consumer', 'prebuilt-zip');
  new AnalyticsStack(app, 'analytics');
} else if (mode === 'archive') {
  new TwoInstances(app, 'consumer-archive', 'archive-provider');
} else {
  throw new Error(\`unknown mode \${mode}\`);
}
app.synth();
`;

/** Which program runs make which stacks. */
const MODES = { package: ['deploy', 'module'], consumer: ['consumer', 'analytics'], archive: ['consumer-archive'] } as const;
type Mode = keyof typeof MODES;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'node16',
    moduleResolution: 'node16',
    lib: ['ES2022'],
    strict: true,
    // The published declarations are checked too: a rewritten import that does not resolve fails here.
    skipLibCheck: false,
    types: ['node'],
    outDir: 'out',
  },
  include: ['main.ts', 'readme-stack.ts'],
};

/** What the README's flavours section gives the check. */
interface FlavoursReadme {
  /** The "Use it from CDKTF" stack, as the cdktf project's readme-stack.ts. */
  readonly cdktfStack: string;
  /** The same stack as the flavours section shows it for cdktn. */
  readonly cdktnStack: string;
  /** The import rewrite command of the migration steps. */
  readonly rewriteCommand: string;
  /** `targetVersions` from the section's cdktf.json. */
  readonly targetVersions: unknown;
}

function readFlavoursReadme(): FlavoursReadme {
  const snippets = readmeSnippets(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'));
  const stackIn = (section: string): ReadmeSnippet | undefined => snippets.find((s) => s.section === section && s.language === 'ts' && !s.isJestTest);
  const cdktfStack = stackIn('Use it from CDKTF');
  const cdktnStack = stackIn(FLAVOURS_SECTION);
  const inSection = snippets.filter((s) => s.section === FLAVOURS_SECTION);
  const rewriteCommand = inSection.filter((s) => s.language === 'sh').flatMap((s) => s.code.split('\n')).find((line) => /\bsed -i\b/.test(line));
  const cdktfJson = inSection.find((s) => s.language === 'json' && s.code.includes('targetVersions'));
  assert(cdktfStack && cdktnStack, `README.md must show a stack in "Use it from CDKTF" and in "${FLAVOURS_SECTION}"`);
  assert(rewriteCommand, `README.md "${FLAVOURS_SECTION}" must give the import rewrite command (a sed -i line in a sh block)`);
  assert(cdktfJson, `README.md "${FLAVOURS_SECTION}" must show a cdktf.json with targetVersions`);
  const { targetVersions } = JSON.parse(cdktfJson.code) as { targetVersions?: unknown };
  return { cdktfStack: cdktfStack.code, cdktnStack: cdktnStack.code, rewriteCommand, targetVersions };
}

/** A scratch project with one flavour installed. */
interface Project {
  readonly name: string;
  readonly dir: string;
  /**
   * The folder the programs run in, the same for every project, as a migrated project stays in its folder: the
   * default local backend writes the absolute path of the working directory into each user's stack.
   */
  readonly appFolder: string;
  readonly packageName: string;
  readonly peers: Readonly<Record<string, string>>;
}

const tally = new CheckTally();
const check = tally.check.bind(tally);

function tsc(project: Project, ...args: string[]): string {
  return must(run(process.execPath, [path.join(project.dir, 'node_modules', 'typescript', 'bin', 'tsc'), ...args], { cwd: project.dir }), `tsc ${args.join(' ')}`);
}

/** Installs the tarball and the peers; returns the project, or undefined when npm failed (counted as a failure). */
function install(name: string, tarball: string, packageName: string, peers: Readonly<Record<string, string>>, work: string): Project | undefined {
  const dir = path.join(work, name);
  const appFolder = path.join(work, 'app');
  // Where the program's apps write (cdktf and cdktn create their outdir, not its parents).
  fs.mkdirSync(path.join(dir, 'synth'), { recursive: true });
  fs.mkdirSync(appFolder, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `cdktn-check-${name}`, version: '1.0.0', private: true }, null, 2));
  const tools = ['typescript', '@types/node'].map((tool) => `${tool}@${manifest.devDependencies[tool]}`);
  const specs = Object.entries(peers).map(([peer, version]) => `${peer}@${version}`);
  const ok = check(`${name}: npm install ${path.basename(tarball)} ${specs.join(' ')}`, () => {
    must(run('npm', ['install', '--save-dev', tarball, ...specs, ...tools], { cwd: dir, env: npmEnv }), 'npm install');
  });
  return ok ? { name, dir, appFolder, packageName, peers } : undefined;
}

/** Synthesizes one mode of the program; returns the outdir. */
function synth(project: Project, mode: Mode, targetVersions: unknown): string {
  const outdir = path.join(project.dir, 'synth', mode);
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1' };
  if (targetVersions !== undefined) env.TARGET_VERSIONS = JSON.stringify(targetVersions);
  must(run(process.execPath, [path.join(project.dir, 'out', 'main.js'), outdir, mode], { cwd: project.appFolder, env }), `synth (${mode})`);
  return outdir;
}

/** Synthesizes every mode; returns the stacks by name. */
function synthAll(project: Project, modes: readonly Mode[], targetVersions: unknown): Map<string, SynthesizedStack> {
  const stacks = new Map<string, SynthesizedStack>();
  for (const mode of modes) {
    // The package's own stacks run in an app that declares no targets: the stack declares Terraform 1.11 itself.
    const outdir = synth(project, mode, mode === 'package' ? undefined : targetVersions);
    for (const name of MODES[mode]) stacks.set(name, readSynthesizedStack(path.join(outdir, 'stacks', name)));
  }
  return stacks;
}

/**
 * The library's TypeScript sources, rewritten as the build rewrites the compiled output, type-check against the
 * project's cdktn and providers: every provider class, argument and attribute the constructs use exists there
 * (`aws_region.region`, `secret_string_wo`, ...), which the compiled output alone cannot prove.
 */
function checkLibrarySources(project: Project): void {
  const target = path.join(project.dir, 'library-sources');
  for (const file of (fs.readdirSync(path.join(ROOT, 'constructs'), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'))) {
    const source = path.join('constructs', file);
    fs.mkdirSync(path.dirname(path.join(target, source)), { recursive: true });
    fs.writeFileSync(path.join(target, source), rewriteForCdktn(fs.readFileSync(path.join(ROOT, source), 'utf8'), source));
  }
  const config = {
    compilerOptions: { ...TSCONFIG.compilerOptions, module: 'commonjs', moduleResolution: 'node10', noEmit: true, skipLibCheck: true, noUnusedLocals: true, resolveJsonModule: true },
    include: ['library-sources/**/*.ts'],
  };
  fs.writeFileSync(path.join(project.dir, 'tsconfig.sources.json'), JSON.stringify(config));
  tsc(project, '-p', 'tsconfig.sources.json');
}

/** One copy of each peer at the requested version, and no package of the other framework. */
function checkInstalledPeers(project: Project, absent: readonly string[]): void {
  must(run('npm', ['ls', '--all'], { cwd: project.dir, env: npmEnv }), 'npm ls --all');
  const parseable = run('npm', ['ls', '--all', '--parseable', ...Object.keys(project.peers), ...absent], { cwd: project.dir, env: npmEnv }).output;
  const copies = (name: string): string[] => [...new Set(parseable.split('\n').filter((line) => line.endsWith(`${path.sep}node_modules${path.sep}${name.split('/').join(path.sep)}`)))];
  for (const [peer, version] of Object.entries(project.peers)) {
    const found = copies(peer);
    assert(found.length === 1, `${peer}: expected one copy, found ${found.length}: ${found.join(', ')}`);
    const installed = (JSON.parse(fs.readFileSync(path.join(found[0], 'package.json'), 'utf8')) as { version: string }).version;
    assert(installed === version, `${peer}: wanted ${version}, installed ${installed}`);
  }
  const stray = absent.flatMap(copies);
  assert(stray.length === 0, `packages of the other framework are installed: ${stray.join(', ')}`);
}

/** The files a package installed in a project ships under dist/constructs, with the module names they import. */
function importedModules(project: Project): { file: string; specifier: string }[] {
  const dir = path.join(project.dir, 'node_modules', project.packageName, 'dist', 'constructs');
  const files = (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'));
  return files.flatMap((file) => moduleSpecifiers(fs.readFileSync(path.join(dir, file), 'utf8'), file).map((s) => ({ file, specifier: s.value })));
}

// ---- comparing two synthesized stacks ----

/** A value that differs between the flavours, at a path such as `resource.aws_iam_role.X.name`. */
interface Difference {
  readonly path: string;
  readonly left: unknown;
  readonly right: unknown;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every leaf where two JSON values differ (a key on one side only counts as a difference). */
function differences(left: unknown, right: unknown, at = ''): Difference[] {
  const join = (key: string): string => (at === '' ? key : `${at}.${key}`);
  if (Array.isArray(left) && Array.isArray(right)) {
    if (left.length !== right.length) return [{ path: at, left, right }];
    return left.flatMap((item, i) => differences(item, right[i], `${at}[${i}]`));
  }
  if (isObject(left) && isObject(right)) {
    const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
    return keys.flatMap((key) => differences(left[key], right[key], join(key)));
  }
  return JSON.stringify(left) === JSON.stringify(right) ? [] : [{ path: at, left, right }];
}

/** The addresses a stack defines: every resource, data source, ephemeral resource, variable, output and provider. */
function addresses(stack: SynthesizedStack): string[] {
  const json = stack.json as Record<string, unknown>;
  const list: string[] = [];
  for (const kind of ['resource', 'data', 'ephemeral']) {
    for (const [type, blocks] of Object.entries((json[kind] ?? {}) as Record<string, Record<string, unknown>>)) {
      for (const name of Object.keys(blocks)) list.push(`${kind === 'resource' ? '' : `${kind}.`}${type}.${name}`);
    }
  }
  for (const kind of ['variable', 'output', 'provider']) for (const name of Object.keys((json[kind] ?? {}) as Record<string, unknown>)) list.push(`${kind}.${name}`);
  return list.sort();
}

/** The stack's asset files, relative to its folder. */
function assetFiles(stack: SynthesizedStack): string[] {
  const dir = path.join(stack.directory, 'assets');
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

/**
 * The providers a stack requires as Terraform resolves them (`terraform providers`, which needs no download): full
 * provider address -> version constraint.
 */
function requiredProviders(stack: SynthesizedStack): Map<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-providers-'));
  try {
    // Without the backend, which `terraform providers` would want initialized and which requires no provider.
    const { terraform, ...rest } = stack.json as { terraform?: Record<string, unknown> };
    const { backend: _backend, ...settings } = terraform ?? {};
    fs.writeFileSync(path.join(dir, 'main.tf.json'), JSON.stringify({ ...rest, terraform: settings }));
    const output = must(run('terraform', ['providers', '-no-color'], { cwd: dir, env: { ...process.env, CHECKPOINT_DISABLE: '1' } }), 'terraform providers');
    return new Map([...output.matchAll(/provider\[([^\]]+)\][ \t]*(.*)$/gm)].map((m) => [m[1], m[2].trim()]));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Meta-arguments that are not the resource's own arguments. */
const META_ARGUMENTS = ['//', 'count', 'for_each', 'depends_on', 'lifecycle', 'provider', 'provisioner', 'connection'];

/**
 * Every argument of every resource and data source, and every output value, evaluated by terraform with stand-ins
 * for what only AWS knows. Keys: `resource.<type>.<name>.<argument>`, `data...`, `output.<name>`.
 */
function evaluateStack(stack: SynthesizedStack): Map<string, unknown> {
  const expressions: Record<string, unknown> = {};
  const keys = new Map<string, string>();
  const json = stack.json as Record<string, unknown>;
  for (const kind of ['resource', 'data']) {
    for (const [type, blocks] of Object.entries((json[kind] ?? {}) as Record<string, Record<string, Record<string, unknown>>>)) {
      for (const [name, config] of Object.entries(blocks)) {
        for (const [argument, value] of Object.entries(config).filter(([k]) => !META_ARGUMENTS.includes(k))) {
          const id = `e${keys.size}`;
          keys.set(id, `${kind}.${type}.${name}.${argument}`);
          expressions[id] = value;
        }
      }
    }
  }
  for (const [name, block] of Object.entries((json.output ?? {}) as Record<string, { value: unknown }>)) {
    const id = `e${keys.size}`;
    keys.set(id, `output.${name}`);
    expressions[id] = block.value;
  }
  const variables = stack.json.variable?.output_location !== undefined ? STAND_IN_VARIABLES : {};
  const evaluated = evaluateInStack(stack, expressions, { variables });
  return new Map([...keys].map(([id, key]) => [key, evaluated[id]]));
}

/** What the comparison of evaluated values reports, one check each. */
interface Category {
  readonly name: string;
  /** Whether an evaluated key belongs to the category. */
  readonly matches: (key: string) => boolean;
  /** JSON documents are compared parsed, so the comparison reports the statement that differs. */
  readonly json: boolean;
  /** Stacks that must hold at least one value of the category. */
  readonly requiredIn: readonly string[];
}

const ALL_STACKS = Object.values(MODES).flat();
const CATEGORIES: readonly Category[] = [
  { name: 'IAM policy documents (role, trust and resource policies)', matches: (k) => /^resource\.[a-z0-9_]+\.[^.]+\.(policy|assume_role_policy)$/.test(k), json: true, requiredIn: ALL_STACKS },
  { name: 'state machine definitions', matches: (k) => /^resource\.aws_sfn_state_machine\.[^.]+\.definition$/.test(k), json: true, requiredIn: ALL_STACKS },
  { name: 'API Gateway mapping templates', matches: (k) => /\.(request_templates|response_templates)$/.test(k), json: false, requiredIn: ALL_STACKS },
  { name: 'Lambda environment variables', matches: (k) => /^resource\.aws_lambda_function\.[^.]+\.environment$/.test(k), json: false, requiredIn: ALL_STACKS },
];

function parsedIfJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** Compares the flavours' stacks, stack by stack, and returns which known differences were met. */
function compareFlavours(left: Project, right: Project, leftStacks: Map<string, SynthesizedStack>, rightStacks: Map<string, SynthesizedStack>): Set<KnownDifference> {
  const met = new Set<KnownDifference>();
  const names = [...leftStacks.keys()].filter((name) => rightStacks.has(name));
  for (const name of names) {
    const a = leftStacks.get(name) as SynthesizedStack;
    const b = rightStacks.get(name) as SynthesizedStack;
    check(`${name}: the same addresses (resources, data, ephemeral, variables, outputs, providers) and asset files, byte for byte`, () => {
      const [la, lb] = [addresses(a), addresses(b)];
      const onlyLeft = la.filter((x) => !lb.includes(x));
      const onlyRight = lb.filter((x) => !la.includes(x));
      assert(onlyLeft.length === 0 && onlyRight.length === 0, `only ${left.name}: ${onlyLeft.join(', ') || '-'}; only ${right.name}: ${onlyRight.join(', ') || '-'}`);
      assert(la.length > 10, `${name} has only ${la.length} addresses`);
      const [fa, fb] = [assetFiles(a), assetFiles(b)];
      assert(JSON.stringify(fa) === JSON.stringify(fb), `asset files differ: ${fa.join(', ')} / ${fb.join(', ')}`);
      for (const file of fa) {
        assert(fs.readFileSync(path.join(a.directory, 'assets', file)).equals(fs.readFileSync(path.join(b.directory, 'assets', file))), `assets/${file} differs`);
      }
      process.stdout.write(`        ${la.length} addresses, ${fa.length} asset file(s)\n`);
    });
    check(`${name}: the stack JSON is the same except for the known differences, each explained`, () => {
      const found = differences(a.json, b.json);
      const unexplained = found.filter((d) => !KNOWN_DIFFERENCES.some((k) => k.path.test(d.path)));
      for (const d of found) {
        const known = KNOWN_DIFFERENCES.find((k) => k.path.test(d.path));
        if (known === undefined) continue;
        met.add(known);
        process.stdout.write(`        ${d.path}: ${short(d.left)} (${left.name}) vs ${short(d.right)} (${right.name}) [known difference ${KNOWN_DIFFERENCES.indexOf(known) + 1}]\n`);
      }
      assert(unexplained.length === 0, `unexplained differences:\n${unexplained.map((d) => `${d.path}: ${short(d.left)} vs ${short(d.right)}`).join('\n')}`);
    });
  }

  check('terraform providers: every stack of both flavours requires the same providers (full addresses); only version constraints differ', () => {
    for (const name of names) {
      const [x, y] = [requiredProviders(leftStacks.get(name) as SynthesizedStack), requiredProviders(rightStacks.get(name) as SynthesizedStack)];
      assert(x.size > 0 && JSON.stringify([...x.keys()].sort()) === JSON.stringify([...y.keys()].sort()), `${name}: ${[...x.keys()].join(', ')} vs ${[...y.keys()].join(', ')}`);
      process.stdout.write(`        ${name}: ${[...x].map(([address, constraint]) => `${address} ${constraint || '(any)'} / ${y.get(address) || '(any)'}`).join(', ')}\n`);
    }
  });

  const evaluations = new Map<string, [Map<string, unknown>, Map<string, unknown>]>();
  check(`terraform evaluates every argument and output of the ${names.length} stacks of both flavours to the same values`, () => {
    const mismatches: string[] = [];
    for (const name of names) {
      const pair: [Map<string, unknown>, Map<string, unknown>] = [evaluateStack(leftStacks.get(name) as SynthesizedStack), evaluateStack(rightStacks.get(name) as SynthesizedStack)];
      evaluations.set(name, pair);
      for (const key of new Set([...pair[0].keys(), ...pair[1].keys()])) {
        const [x, y] = [parsedIfJson(pair[0].get(key)), parsedIfJson(pair[1].get(key))];
        for (const d of differences(x, y, key)) mismatches.push(`${name}: ${d.path}: ${short(d.left)} vs ${short(d.right)}`);
      }
      process.stdout.write(`        ${name}: ${pair[0].size} values\n`);
    }
    assert(mismatches.length === 0, mismatches.join('\n'));
  });
  for (const category of CATEGORIES) {
    check(`${category.name}, as terraform evaluates them: identical`, () => {
      assert(evaluations.size === names.length, 'the evaluation failed (see above)');
      const counts: string[] = [];
      for (const [name, [x, y]] of evaluations) {
        const keys = [...x.keys()].filter(category.matches);
        assert(keys.length > 0 || !category.requiredIn.includes(name), `${name}: no ${category.name} found; the check would prove nothing`);
        for (const key of keys) {
          const [p, q] = category.json ? [parsedIfJson(x.get(key)), parsedIfJson(y.get(key))] : [x.get(key), y.get(key)];
          assert(JSON.stringify(p) === JSON.stringify(q), `${name}: ${key} differs:\n${short(p)}\n${short(q)}`);
        }
        counts.push(`${name} ${keys.length}`);
      }
      process.stdout.write(`        ${counts.join(', ')}\n`);
    });
  }
  check('Terraform variables (type, description, default, nullable, validation conditions and messages): identical', () => {
    const strip = (stack: SynthesizedStack): unknown => JSON.parse(JSON.stringify(stack.json.variable ?? {}, (key, value: unknown) => (key === '//' ? undefined : value)));
    for (const name of names) {
      const found = differences(strip(leftStacks.get(name) as SynthesizedStack), strip(rightStacks.get(name) as SynthesizedStack));
      assert(found.length === 0, `${name}: ${found.map((d) => d.path).join(', ')}`);
    }
    const count = Object.keys(leftStacks.get('module')?.json.variable ?? {}).length;
    assert(count > 10, `the module stack has only ${count} variables`);
    process.stdout.write(`        ${count} variables in the module stack\n`);
  });
  return met;
}

// ---- the run ----

function packBoth(work: string): { cdktf: string; cdktn: string } {
  // The README's command for the cdktn flavour (it builds), then the CDKTF flavour from the same build.
  must(run('npm', ['run', '--silent', 'pack:cdktn', '--', '--pack-destination', work], { cwd: ROOT, env: npmEnv }), 'npm run pack:cdktn');
  must(run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: ROOT, env: npmEnv }), 'npm pack');
  const tarball = (name: string): string => {
    const found = fs.readdirSync(work).filter((f) => f.startsWith(`${name}-`) && f.endsWith('.tgz'));
    assert(found.length === 1, `expected one ${name} tarball in ${work}, found ${found.join(', ') || 'none'}`);
    return path.join(work, found[0]);
  };
  return { cdktf: tarball(cdktf.packageName), cdktn: tarball(cdktn.packageName) };
}

function writeCdktfProgram(project: Project, readme: FlavoursReadme): void {
  fs.writeFileSync(path.join(project.dir, 'main.ts'), MAIN_TS);
  fs.writeFileSync(path.join(project.dir, 'readme-stack.ts'), `${readme.cdktfStack}\nexport { AnalyticsStack };\n`);
  fs.writeFileSync(path.join(project.dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
}

/** The cdktf program migrated as the README says: the same files, then the README's import rewrite command. */
function migrateProgram(from: Project, to: Project, readme: FlavoursReadme): void {
  for (const file of ['main.ts', 'readme-stack.ts', 'tsconfig.json']) fs.copyFileSync(path.join(from.dir, file), path.join(to.dir, file));
  // A canary: the command must leave node_modules alone (rewriting installed packages would break them).
  const canary = path.join(to.dir, 'node_modules', 'canary.ts');
  const canaryText = `import '${cdktf.framework}';\n`;
  fs.writeFileSync(canary, canaryText);
  must(run('bash', ['-c', readme.rewriteCommand], { cwd: to.dir }), `the README's rewrite command (${readme.rewriteCommand})`);
  assert(fs.readFileSync(canary, 'utf8') === canaryText, 'the rewrite command changed a file under node_modules');
  fs.rmSync(canary);
  const stack = fs.readFileSync(path.join(to.dir, 'readme-stack.ts'), 'utf8');
  assert(stack === `${readme.cdktnStack}\nexport { AnalyticsStack };\n`, `the rewritten "Use it from CDKTF" stack is not the one README.md "${FLAVOURS_SECTION}" shows:\n${stack}`);
  for (const file of ['main.ts', 'readme-stack.ts']) {
    const left = moduleSpecifiers(fs.readFileSync(path.join(to.dir, file), 'utf8'), file).filter((s) => namesCdktf(s.value) || s.value === cdktf.packageName);
    assert(left.length === 0, `${file} still imports ${left.map((s) => s.value).join(', ')}`);
  }
}

function main(): void {
  const args = process.argv.slice(2);
  const keep = args.includes('--keep');
  if (args.some((arg) => arg !== '--keep')) {
    process.stderr.write('Usage: cdktn-check [--keep]\n');
    process.exit(2);
  }
  fs.mkdirSync(NPM_CACHE, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cdktn-check-'));
  try {
    process.stdout.write(`Both flavours, packed, installed and synthesized (Node ${process.version}; npm warns that the @cdktn providers declare Node >= 22.11)\n`);
    let readme: FlavoursReadme | undefined;
    check(`README.md "${FLAVOURS_SECTION}" gives the cdktn stack, the import rewrite command and cdktf.json's targetVersions`, () => {
      readme = readFlavoursReadme();
    });
    let tarballs: { cdktf: string; cdktn: string } | undefined;
    check(`npm run pack:cdktn packs ${cdktn.packageName} (from ${CDKTN_DIRECTORY}/); npm pack packs ${cdktf.packageName}`, () => {
      tarballs = packBoth(work);
    });
    if (readme === undefined || tarballs === undefined) return;

    const cdktfPins = Object.fromEntries(Object.keys(manifest.peerDependencies).map((peer) => [peer, manifest.devDependencies[peer]]));
    const left = install('cdktf', tarballs.cdktf, cdktf.packageName, cdktfPins, work);
    const right = install('cdktn', tarballs.cdktn, cdktn.packageName, CDKTN_PINS, work);
    if (left === undefined || right === undefined) return;
    const cdktfPackages = Object.keys(manifest.peerDependencies).filter((peer) => peer !== 'constructs');

    check(`cdktn: one copy of each peer at our pins, and no cdktf package installed`, () => checkInstalledPeers(right, cdktfPackages));
    check(`cdktn: the installed package imports no cdktf module (${cdktn.packageName}/dist/constructs, .js and .d.ts)`, () => {
      const modules = importedModules(right);
      const offending = modules.filter((m) => namesCdktf(m.specifier));
      assert(offending.length === 0, offending.map((m) => `${m.file}: ${m.specifier}`).join('\n'));
      assert(modules.some((m) => m.specifier === cdktn.framework), `no file imports ${cdktn.framework}`);
    });
    check('cdktn: the installed package ships the same prebuilt callbacker bytes as the cdktf one', () => {
      for (const file of ['index.js', 'callbacker.zip']) {
        const [a, b] = [left, right].map((p) => fs.readFileSync(path.join(p.dir, 'node_modules', p.packageName, 'dist', 'callbacker', file)));
        assert(a.equals(b), `dist/callbacker/${file} differs`);
      }
    });

    check('cdktn: the library\'s TypeScript sources, imports rewritten, type-check against cdktn and its providers (every class and attribute exists)', () => checkLibrarySources(right));

    const rd = readme;
    let programs = check(`the cdktf program type-checks strictly (skipLibCheck false) and compiles`, () => {
      writeCdktfProgram(left, rd);
      tsc(left, '-p', 'tsconfig.json');
    });
    programs =
      check("cdktn: the README's import rewrite turns the cdktf program into the cdktn one (the README's cdktn stack), leaving node_modules alone", () =>
        migrateProgram(left, right, rd),
      ) && programs;
    programs = check('cdktn: the migrated program type-checks strictly against cdktn and the rewritten declarations, and compiles', () => tsc(right, '-p', 'tsconfig.json')) && programs;
    if (!programs) return;

    const modes: readonly Mode[] = ['package', 'consumer', 'archive'];
    let stacks: [Map<string, SynthesizedStack>, Map<string, SynthesizedStack>] | undefined;
    check(`App.synth() in both projects: the package's stacks (deploy, asModule) with no targetVersions, the user's stacks with the README's`, () => {
      stacks = [synthAll(left, modes, rd.targetVersions), synthAll(right, modes, rd.targetVersions)];
    });
    check("cdktn: without targetVersions, a user's stack fails synth (write-only arguments need Terraform 1.11), as the README says; cdktf has no such check", () => {
      const refused = run(process.execPath, [path.join(right.dir, 'out', 'main.js'), path.join(right.dir, 'synth', 'undeclared'), 'consumer'], { cwd: right.appFolder, env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
      assert(refused.status !== 0 && /write-only attributes requires terraform >=1\.11\.0, but the project targets terraform >=1\.5\.7/.test(refused.errors), `expected cdktn's write-only validation error, got exit ${refused.status}:\n${refused.errors.slice(-1500)}`);
      must(run(process.execPath, [path.join(left.dir, 'out', 'main.js'), path.join(left.dir, 'synth', 'undeclared'), 'consumer'], { cwd: left.appFolder, env: { ...process.env, CHECKPOINT_DISABLE: '1' } }), 'cdktf synth without targetVersions');
    });
    if (stacks === undefined) return;

    process.stdout.write('\ncdktf against cdktn\n');
    const met = compareFlavours(left, right, stacks[0], stacks[1]);
    check('every known difference was met (an entry that matches nothing is stale: remove it)', () => {
      KNOWN_DIFFERENCES.forEach((k, i) => process.stdout.write(`        [known difference ${i + 1}] ${k.path.source}: ${k.reason}\n`));
      const stale = KNOWN_DIFFERENCES.filter((k) => !met.has(k));
      assert(stale.length === 0, `stale: ${stale.map((k) => k.path.source).join(', ')}`);
    });
    check(`the cdktn asModule stack, split as npm run module splits it, is the committed ${MODULE_DIRECTORY}/ (all but ${MODULE_README}, which is not synthesized)`, () => {
      const made = moduleFiles((stacks as [Map<string, SynthesizedStack>, Map<string, SynthesizedStack>])[1].get('module')?.directory as string);
      const committed = readModule(path.join(ROOT, MODULE_DIRECTORY));
      made.delete(MODULE_README);
      committed.delete(MODULE_README);
      const names = [...new Set([...made.keys(), ...committed.keys()])].sort();
      const differing = names.filter((name) => !(made.get(name)?.equals(committed.get(name) ?? Buffer.alloc(0)) ?? false));
      assert(differing.length === 0, `differs: ${differing.join(', ')}`);
      process.stdout.write(`        ${names.join(', ')}\n`);
    });

    process.stdout.write('\ncdktn with the lowest peer versions, then without the optional archive provider\n');
    const lowest = Object.fromEntries(Object.entries(CDKTN_PEER_DEPENDENCIES).map(([peer, range]) => [peer, lowerEnd(range)]));
    const lower = install('cdktn-lower', tarballs.cdktn, cdktn.packageName, lowest, work);
    if (lower === undefined) return;
    check('cdktn-lower: one copy of each peer at the lowest version, and no cdktf package installed', () => checkInstalledPeers(lower, cdktfPackages));
    check("cdktn-lower: the library's TypeScript sources, imports rewritten, type-check against these peers", () => checkLibrarySources(lower));
    check('cdktn-lower: the migrated program type-checks and synthesizes the same Terraform as with our pins, except the known differences', () => {
      for (const file of ['main.ts', 'readme-stack.ts', 'tsconfig.json']) fs.copyFileSync(path.join(right.dir, file), path.join(lower.dir, file));
      tsc(lower, '-p', 'tsconfig.json');
      const lowerStacks = synthAll(lower, modes, rd.targetVersions);
      const reference = (stacks as [Map<string, SynthesizedStack>, Map<string, SynthesizedStack>])[1];
      for (const [name, stack] of lowerStacks) {
        const found = differences(stack.json, reference.get(name)?.json);
        const unexplained = found.filter((d) => !KNOWN_DIFFERENCES.some((k) => k.path.test(d.path)));
        assert(unexplained.length === 0, `${name}: ${unexplained.map((d) => `${d.path}: ${short(d.left)} vs ${short(d.right)}`).join('\n')}`);
        for (const d of found) process.stdout.write(`        ${name}: ${d.path}: ${short(d.left)} (lowest) vs ${short(d.right)} (pins)\n`);
      }
    });
    const archivePeer = `${cdktn.providerScope}/provider-archive`;
    check(`cdktn-lower, ${archivePeer} uninstalled: callbackerPackaging 'archive-provider' fails with MissingPeerDependencyError naming it and its range`, () => {
      must(run('npm', ['uninstall', archivePeer], { cwd: lower.dir, env: npmEnv }), `npm uninstall ${archivePeer}`);
      const outcome = run(process.execPath, [path.join(lower.dir, 'out', 'main.js'), path.join(lower.dir, 'synth', 'no-archive'), 'archive'], {
        cwd: lower.appFolder,
        env: { ...process.env, CHECKPOINT_DISABLE: '1', TARGET_VERSIONS: JSON.stringify(rd.targetVersions) },
      });
      const expected = `npm install --save-dev ${archivePeer}@${CDKTN_PEER_DEPENDENCIES[archivePeer]}`;
      assert(outcome.status !== 0 && outcome.errors.includes('MissingPeerDependencyError') && outcome.errors.includes(expected), `expected MissingPeerDependencyError with "${expected}", got:\n${outcome.errors.slice(-2000)}`);
    });
  } finally {
    if (keep) process.stdout.write(`  (kept ${work})\n`);
    else fs.rmSync(work, { recursive: true, force: true });
    process.stdout.write(`\n${tally.summary('cdktn')}\n`);
    process.exitCode = tally.failed > 0 ? 1 : 0;
  }
}

main();
