/**
 * The package as another CDKTF project gets it. `npm pack` (which runs `prepack`, so the build), then, in scratch
 * projects in the temp directory, `npm install` of the tarball with peers at versions other than our pins:
 *
 * - `steps`: one patch and one minor step away from our pins, without the optional @cdktf/provider-archive; runs the
 *   README's testing snippet with jest the way a user would;
 * - `lower`: the lowest version of every peer range in package.json;
 * - `upper`: the ranges themselves, so npm picks the newest version of each;
 * - `git`: `npm install git+file://...` of a clone of the committed HEAD, which runs `prepare`;
 * - `client`: `npm install --omit=peer` of the tarball, as a caller who wants only the query API's client and the
 *   `async-athena-query` command installs it: no peer is installed, and the command and the client load without them.
 *
 * Each scenario checks one copy of each peer (`npm ls`), no esbuild installed, loaded or spawned, a strict type-check
 * of a consumer stack with two instances (and, for the range ends, of the library's own sources, which the compiled
 * output cannot prove), synth in both packaging modes, and that every scenario synthesizes the same Terraform JSON.
 * It takes a few minutes, so `.ci/run` runs it after `npm test`, not jest; it ends with `consumer: N passed, M failed`.
 * Downloads go to `.cache/npm` in the repository (`--prefer-offline`), so repeated runs need no network.
 *
 *   npm run test:consumer [-- --scenario steps --scenario git] [--keep]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assert, CheckTally, lowerEnd, must, NPM_CACHE, npmEnv, ROOT, run } from './check-support';
import { readmeSnippets } from './readme-snippets';

const PEERS = ['cdktf', 'constructs', '@cdktf/provider-aws', '@cdktf/provider-archive'] as const;
type Peer = (typeof PEERS)[number];

interface Manifest {
  name: string;
  peerDependencies: Record<Peer, string>;
  devDependencies: Record<string, string>;
}
const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Manifest;

interface Scenario {
  readonly name: string;
  readonly description: string;
  /** npm version specs per peer; a peer left out is not installed. */
  readonly peers: Partial<Record<Peer, string>>;
  /** Where the package comes from. */
  readonly source: 'tarball' | 'git';
  /** Run the README's testing snippet with jest in the scratch project. */
  readonly jest: boolean;
  /** Type-check the library's TypeScript sources against the installed peers. */
  readonly checkSources: boolean;
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'steps',
    description: 'peers one patch or minor step from our pins, no @cdktf/provider-archive',
    peers: { cdktf: '0.21.0', constructs: '10.8.0', '@cdktf/provider-aws': '21.21.0' },
    source: 'tarball',
    jest: true,
    checkSources: false,
  },
  {
    name: 'lower',
    description: 'the lowest version of every peer range',
    peers: Object.fromEntries(PEERS.map((peer) => [peer, lowerEnd(manifest.peerDependencies[peer])])),
    source: 'tarball',
    jest: false,
    checkSources: true,
  },
  {
    name: 'upper',
    description: 'the peer ranges themselves: npm installs the newest version of each',
    peers: Object.fromEntries(PEERS.map((peer) => [peer, manifest.peerDependencies[peer]])),
    source: 'tarball',
    jest: false,
    checkSources: true,
  },
  {
    name: 'git',
    description: 'installed from git (a clone of the committed HEAD), which runs prepare; our pinned peers',
    peers: Object.fromEntries(PEERS.filter((p) => p !== '@cdktf/provider-archive').map((peer) => [peer, manifest.devDependencies[peer]])),
    source: 'git',
    jest: false,
    checkSources: false,
  },
];

const tally = new CheckTally();
const check = tally.check.bind(tally);

/** The consumer's program: two instances in one stack (packaging from PACKAGING) and the README's stack. */
const MAIN_TS = `import { App, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { AsyncAthenaQuery, type CallbackerPackaging } from 'cdktf-async-athena-query';
import { AnalyticsStack } from './readme-stack';

const packaging = (process.env.PACKAGING ?? 'prebuilt-zip') as CallbackerPackaging;

class TwoInstances extends TerraformStack {
  public readonly instances: AsyncAthenaQuery[];
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: 'eu-west-1' });
    this.instances = [
      new AsyncAthenaQuery(this, 'Orders', { workGroup: 'orders', outputLocation: 's3://analytics-results/orders/', callbackerPackaging: packaging }),
      new AsyncAthenaQuery(this, 'Billing', { workGroup: 'billing', outputLocation: 's3://analytics-results/billing/', callbackerPackaging: packaging }),
    ];
  }
}

const app = new App({ outdir: process.argv[2] ?? 'cdktf.out' });
const stack = new TwoInstances(app, 'two-instances');
new AnalyticsStack(app, 'analytics');
app.synth();
// One copy of constructs: the consumer's Construct class is the one the library's constructs extend.
process.stdout.write(JSON.stringify({ instanceOfConstruct: stack.instances.every((i) => i instanceof Construct) }));
`;

/** Records every module and process the program loads or starts, to prove esbuild is neither. */
const GUARD_CJS = `const fs = require('fs');
const childProcess = require('child_process');
const started = [];
for (const name of ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork']) {
  const original = childProcess[name];
  childProcess[name] = function (command, args) { started.push([command].concat(Array.isArray(args) ? args : []).join(' ')); return original.apply(this, arguments); };
}
process.on('exit', () => {
  fs.writeFileSync(process.env.GUARD_REPORT, JSON.stringify({ modules: Object.keys(require.cache), processes: started }));
});
`;

const TSCONFIG = (moduleResolution: 'node16' | 'node10') => ({
  compilerOptions: {
    target: 'ES2022',
    module: moduleResolution === 'node16' ? 'node16' : 'commonjs',
    moduleResolution,
    lib: ['ES2022'],
    strict: true,
    // The published declarations are checked too: a missing optional peer or a second copy of a peer fails here.
    skipLibCheck: false,
    esModuleInterop: true,
    types: ['node', 'jest'],
    outDir: 'out',
  },
  include: ['main.ts', 'readme-stack.ts', '__tests__/**/*.ts'],
});

interface StackJson {
  provider?: Record<string, unknown>;
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
  terraform?: Record<string, unknown>;
}

function readStack(outdir: string, name: string): StackJson {
  return JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8')) as StackJson;
}

/** The stack JSON without what legitimately differs between peer versions (provider versions, cdktf metadata). */
function normalized(stack: StackJson): string {
  const { terraform: _terraform, ...rest } = stack;
  return JSON.stringify(rest, (key, value: unknown) => (key === '//' ? undefined : value));
}

const references = new Map<string, string>();

function writeProject(dir: string): void {
  const snippets = readmeSnippets(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8')).filter((s) => s.language === 'ts' && s.section === 'Use it from CDKTF');
  const stack = snippets.find((s) => !s.isJestTest);
  const test = snippets.find((s) => s.isJestTest);
  assert(stack && test, 'README.md "Use it from CDKTF" must hold a stack snippet and a jest snippet');
  fs.writeFileSync(path.join(dir, 'readme-stack.ts'), `${stack.code}\nexport { AnalyticsStack };\n`);
  fs.mkdirSync(path.join(dir, '__tests__'));
  fs.writeFileSync(path.join(dir, '__tests__', 'readme.test.ts'), test.code);
  fs.writeFileSync(path.join(dir, 'main.ts'), MAIN_TS);
  fs.writeFileSync(path.join(dir, 'guard.cjs'), GUARD_CJS);
  // cdktf's own jest setup, as `cdktf init` writes it.
  fs.writeFileSync(path.join(dir, 'setup.js'), "const cdktf = require('cdktf');\ncdktf.Testing.setupJest();\n");
  fs.writeFileSync(
    path.join(dir, 'jest.config.js'),
    "module.exports = { testEnvironment: 'node', testMatch: ['**/__tests__/**/*.test.ts'], setupFilesAfterEnv: ['<rootDir>/setup.js'], transform: { '^.+\\\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] } };\n",
  );
  fs.writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG('node16'), null, 2));
  fs.writeFileSync(path.join(dir, 'tsconfig.node10.json'), JSON.stringify({ ...TSCONFIG('node10'), compilerOptions: { ...TSCONFIG('node10').compilerOptions, noEmit: true } }, null, 2));
  // A tripwire: if anything ran esbuild through its JS API, it would start this instead and leave a mark.
  fs.writeFileSync(path.join(dir, 'esbuild-tripwire.sh'), `#!/bin/sh\ntouch "${path.join(dir, 'esbuild-was-run')}"\nexit 1\n`, { mode: 0o755 });
}

function packageSpec(scenario: Scenario, tarball: string, gitUrl: string): string {
  return scenario.source === 'git' ? gitUrl : tarball;
}

function runScenario(scenario: Scenario, tarball: string, gitUrl: string, keep: boolean): void {
  process.stdout.write(`\n${scenario.name}: ${scenario.description}\n`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `consumer-${scenario.name}-`));
  try {
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `consumer-${scenario.name}`, version: '1.0.0', private: true }, null, 2));
    writeProject(dir);
    const tools = ['typescript', '@types/node', ...(scenario.jest ? ['jest', 'ts-jest', '@types/jest'] : ['@types/jest'])].map((t) => `${t}@${manifest.devDependencies[t] ?? toolVersion(t)}`);
    const peers = Object.entries(scenario.peers).map(([peer, spec]) => `${peer}@${spec}`);
    const installed = check(`npm install ${scenario.source === 'git' ? 'git+file://<clone>' : path.basename(tarball)} ${peers.join(' ')}`, () => {
      must(run('npm', ['install', '--save-dev', packageSpec(scenario, tarball, gitUrl), ...peers, ...tools], { cwd: dir, env: npmEnv }), 'npm install');
    });
    if (!installed) return;
    const installedPackage = path.join(dir, 'node_modules', manifest.name);

    check('npm ls: exactly one copy of each installed peer, at the requested version, and no invalid or missing peer', () => {
      must(run('npm', ['ls', '--all'], { cwd: dir, env: npmEnv }), 'npm ls --all');
      const parseable = must(run('npm', ['ls', '--all', '--parseable', ...PEERS], { cwd: dir, env: npmEnv }), 'npm ls --parseable');
      for (const peer of PEERS) {
        const copies = new Set(parseable.split('\n').filter((line) => line.endsWith(`${path.sep}node_modules${path.sep}${peer.split('/').join(path.sep)}`)));
        const wanted = scenario.peers[peer];
        assert(copies.size === (wanted === undefined ? 0 : 1), `${peer}: expected ${wanted === undefined ? 'no copy' : 'one copy'}, found ${copies.size}: ${[...copies].join(', ')}`);
        if (wanted !== undefined) {
          const version = (JSON.parse(fs.readFileSync(path.join([...copies][0], 'package.json'), 'utf8')) as { version: string }).version;
          if (/^\d/.test(wanted)) assert(version === wanted, `${peer}: wanted ${wanted}, installed ${version}`);
          process.stdout.write(`        ${peer}@${version}\n`);
        }
      }
    });

    check('esbuild is not installed', () => {
      const found = run('npm', ['ls', '--all', '--parseable', 'esbuild'], { cwd: dir, env: npmEnv }).output.trim();
      assert(found === '' || found === dir, `esbuild is installed: ${found}`);
      assert(!fs.existsSync(path.join(dir, 'node_modules', 'esbuild')), 'node_modules/esbuild exists');
    });

    check('the installed package holds the prebuilt functions, byte-identical to the packed ones', () => {
      for (const [folder, file] of [['callbacker', 'callbacker.zip'], ['query-api', 'query-api.zip']]) {
        const zip = fs.readFileSync(path.join(installedPackage, 'dist', folder, file));
        assert(zip.equals(fs.readFileSync(path.join(ROOT, 'dist', folder, file))), `${file} differs from this build`);
      }
      assert(fs.existsSync(path.join(installedPackage, 'dist', 'constructs', 'index.js')), 'dist/constructs/index.js is missing');
    });

    check('tsc --noEmit (strict, skipLibCheck false; moduleResolution node16 and node10)', () => {
      must(run(process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '-p', 'tsconfig.json'], { cwd: dir }), 'tsc (node16)');
      must(run(process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.node10.json'], { cwd: dir }), 'tsc (node10)');
    });

    if (scenario.checkSources) {
      check("the library's TypeScript sources type-check against these peers (every class and attribute exists)", () => {
        fs.cpSync(path.join(ROOT, 'constructs'), path.join(dir, 'library-sources', 'constructs'), { recursive: true });
        const config = { compilerOptions: { ...TSCONFIG('node10').compilerOptions, noEmit: true, skipLibCheck: true, types: ['node'], noUnusedLocals: true }, include: ['library-sources/**/*.ts'] };
        fs.writeFileSync(path.join(dir, 'tsconfig.sources.json'), JSON.stringify(config));
        must(run(process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.sources.json'], { cwd: dir }), 'tsc of the library sources');
      });
    }

    check('synth of two instances with esbuild absent: no esbuild module loaded, no esbuild process started', () => {
      must(run(process.execPath, [path.join(dir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: dir }), 'tsc (emit)');
      const report = path.join(dir, 'guard.json');
      const outdir = path.join(dir, 'cdktf.out');
      const env = { ...process.env, GUARD_REPORT: report, ESBUILD_BINARY_PATH: path.join(dir, 'esbuild-tripwire.sh'), CHECKPOINT_DISABLE: '1' };
      const printed = JSON.parse(must(run(process.execPath, ['-r', './guard.cjs', 'out/main.js', outdir], { cwd: dir, env }), 'synth')) as { instanceOfConstruct: boolean };
      const guard = JSON.parse(fs.readFileSync(report, 'utf8')) as { modules: string[]; processes: string[] };
      assert(printed.instanceOfConstruct, 'the instances are not instanceof the consumer\'s Construct: two copies of constructs');
      assert(guard.modules.filter((m) => /esbuild/.test(m)).length === 0, `esbuild modules were loaded: ${guard.modules.filter((m) => /esbuild/.test(m)).join(', ')}`);
      assert(guard.processes.length === 0, `processes were started: ${guard.processes.join('; ')}`);
      assert(!fs.existsSync(path.join(dir, 'esbuild-was-run')), 'the esbuild tripwire was run');
      const stack = readStack(outdir, 'two-instances');
      const functions = Object.entries(stack.resource.aws_lambda_function);
      assert(functions.length === 4, `expected 4 functions (a callbacker and a query API function per instance), found ${functions.length}`);
      for (const [name, fn] of functions) {
        const shipped = name.includes('_QueryApi_')
          ? fs.readFileSync(path.join(installedPackage, 'dist', 'query-api', 'query-api.zip'))
          : fs.readFileSync(path.join(installedPackage, 'dist', 'callbacker', 'callbacker.zip'));
        const file = path.join(outdir, 'stacks', 'two-instances', String(fn.filename).replace('${path.module}/', ''));
        assert(fs.existsSync(file) && fs.readFileSync(file).equals(shipped), `${String(fn.filename)} is not the shipped zip`);
      }
      assert(stack.data?.archive_file === undefined && stack.provider?.archive === undefined, 'the default packaging made an archive or an archive provider');
      const text = normalized(stack);
      const reference = references.get('prebuilt-zip');
      if (reference === undefined) references.set('prebuilt-zip', text);
      else assert(text === reference, 'the synthesized JSON differs from the first scenario\'s');
      assert(readStack(outdir, 'analytics').resource.aws_lambda_function !== undefined, 'the README stack synthesized no function');
    });

    const hasArchive = scenario.peers['@cdktf/provider-archive'] !== undefined;
    check(hasArchive ? "synth with callbackerPackaging 'archive-provider': one archive_file per instance and an archive provider" : "callbackerPackaging 'archive-provider' without @cdktf/provider-archive fails with MissingPeerDependencyError", () => {
      const outdir = path.join(dir, 'cdktf.out.archive');
      const outcome = run(process.execPath, ['out/main.js', outdir], { cwd: dir, env: { ...process.env, PACKAGING: 'archive-provider', CHECKPOINT_DISABLE: '1' } });
      if (!hasArchive) {
        assert(outcome.status !== 0 && outcome.errors.includes('MissingPeerDependencyError') && outcome.errors.includes('npm install --save-dev @cdktf/provider-archive'), `expected MissingPeerDependencyError, got:\n${outcome.errors.slice(-2000)}`);
        return;
      }
      must(outcome, 'synth (archive-provider)');
      const stack = readStack(outdir, 'two-instances');
      assert(Object.keys(stack.data?.archive_file ?? {}).length === 4, 'expected four archive_file data sources (two functions per instance)');
      assert(Array.isArray(stack.provider?.archive), 'expected an archive provider');
      const text = normalized(stack);
      const reference = references.get('archive-provider');
      if (reference === undefined) references.set('archive-provider', text);
      else assert(text === reference, 'the synthesized JSON differs from the previous scenario\'s');
    });

    if (scenario.jest) {
      check("jest runs the README's testing snippet (Testing.synthScope, toHaveResourceWithProperties)", () => {
        const outcome = run(process.execPath, [path.join(dir, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci'], { cwd: dir, env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
        must(outcome, 'jest');
        // jest reports on standard error.
        assert(/Tests:\s+\d+ passed, \d+ total/.test(outcome.errors) && !/failed/.test(outcome.errors), `jest did not pass every test:\n${outcome.errors}`);
        process.stdout.write(`        ${/Tests:.*/.exec(outcome.errors)?.[0] ?? ''}\n`);
      });
    }
  } finally {
    if (keep) process.stdout.write(`  (kept ${dir})\n`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Versions of the tools the scratch projects use that are not our direct development dependencies. */
/** The name of the client-only scenario, which installs no peer (see {@link runClientScenario}). */
const CLIENT_SCENARIO = 'client';

function runClientScenario(tarball: string, keep: boolean): void {
  process.stdout.write(`\n${CLIENT_SCENARIO}: npm install --omit=peer, as a caller of the query API who wants only the client and the command\n`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `consumer-${CLIENT_SCENARIO}-`));
  try {
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `consumer-${CLIENT_SCENARIO}`, version: '1.0.0', private: true }, null, 2));
    const installed = check(`npm install --omit=peer ${path.basename(tarball)}`, () => {
      must(run('npm', ['install', '--omit=peer', tarball], { cwd: dir, env: npmEnv }), 'npm install');
    });
    if (!installed) return;
    const version = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    check('no peer dependency is installed', () => {
      const present = PEERS.filter((peer) => fs.existsSync(path.join(dir, 'node_modules', peer)));
      assert(present.length === 0, `installed anyway: ${present.join(', ')}`);
    });
    check('node_modules/.bin/async-athena-query runs: --version prints the package version, --help the exit codes', () => {
      const bin = path.join(dir, 'node_modules', '.bin', 'async-athena-query');
      assert(must(run(bin, ['--version'], { cwd: dir }), 'async-athena-query --version').trim() === version, 'the command printed another version');
      assert(must(run(bin, ['--help'], { cwd: dir }), 'async-athena-query --help').includes('Exit codes:'), 'the help has no exit codes');
      const usage = run(bin, ['status'], { cwd: dir });
      assert(usage.status === 2 && usage.errors.includes('status takes one query id'), `a usage error exits 2 (exit ${usage.status}: ${usage.errors})`);
    });
    check("require('cdktf-async-athena-query/client') loads without the peers and builds a client", () => {
      const script = "const { AsyncAthenaQueryClient } = require('cdktf-async-athena-query/client'); const c = new AsyncAthenaQueryClient({ apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/live/queries' }); console.log(c.stageUrl, c.region);";
      const printed = must(run(process.execPath, ['-e', script], { cwd: dir }), 'node -e');
      assert(printed.trim() === 'https://abc123.execute-api.eu-west-1.amazonaws.com/live eu-west-1', `printed ${printed}`);
    });
  } finally {
    if (keep) process.stdout.write(`  kept ${dir}\n`);
    else fs.rmSync(dir, { recursive: true, force: true });
  }
}

function toolVersion(tool: string): string {
  const versions: Record<string, string> = { 'ts-jest': '29.4.15' };
  const version = versions[tool];
  if (version === undefined) throw new Error(`No version for ${tool}`);
  return version;
}

function main(): void {
  const args = process.argv.slice(2);
  const keep = args.includes('--keep');
  const wanted = args.flatMap((arg, i) => (args[i - 1] === '--scenario' ? [arg] : []));
  const unknown = args.filter((arg, i) => arg !== '--keep' && arg !== '--scenario' && args[i - 1] !== '--scenario');
  const names = [...SCENARIOS.map((s) => s.name), CLIENT_SCENARIO];
  if (unknown.length > 0 || wanted.some((w) => !names.includes(w))) {
    process.stderr.write(`Usage: consumer-check [--scenario ${names.join('|')}]... [--keep]\n`);
    process.exit(2);
  }
  fs.mkdirSync(NPM_CACHE, { recursive: true });
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'consumer-check-'));
  try {
    process.stdout.write('npm pack (runs prepack: the build)\n');
    const packed = JSON.parse(must(run('npm', ['pack', '--json', '--pack-destination', work], { cwd: ROOT, env: npmEnv }), 'npm pack').replace(/^[^[]*/, '')) as [{ filename: string }];
    const tarball = path.join(work, packed[0].filename);
    // A bare clone of the committed HEAD stands in for the repository URL.
    const clone = path.join(work, 'repository.git');
    must(run('git', ['clone', '--quiet', '--bare', '--no-local', ROOT, clone], { cwd: work }), 'git clone');
    const head = must(run('git', ['rev-parse', 'HEAD'], { cwd: ROOT }), 'git rev-parse').trim();
    for (const scenario of SCENARIOS.filter((s) => wanted.length === 0 || wanted.includes(s.name))) runScenario(scenario, tarball, `git+file://${clone}#${head}`, keep);
    if (wanted.length === 0 || wanted.includes(CLIENT_SCENARIO)) runClientScenario(tarball, keep);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`\n${tally.summary('consumer')}\n`);
  process.exitCode = tally.failed > 0 ? 1 : 0;
}

main();
