/**
 * Part 4, synth. The consumer synth: a compiled consumer program with two AsyncAthenaQuery instances, packaging the
 * prebuilt callbacker, against the same program packaging it the way the package did before it shipped prebuilt
 * (bench/fixtures/synth-time-bundling: esbuild at synth with an on-disk bundle cache, zipped by the archive provider),
 * warm and cold, counting the esbuild processes each starts. Also the deployable stack's compiled program against
 * the same program with its deep provider imports turned into barrel imports, and `npm run synth` through the cdktf
 * CLI against the CLI running the app the way it used to (`npx ts-node --transpile-only main.ts`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ts from 'typescript';
import { row, type Row, type SectionReport } from '../report';
import { timeCommand, timeNode } from '../support/processes';
import { median } from '../support/stats';
import type { BenchOptions } from './section';

export const SYNTH_TARGET_SECONDS = 0.5;
export const SYNTH_TARGET_MIB = 120;
export const CLI_TARGET_SECONDS = 3;
/** The consumer synth must be at least this many times faster than the synth-time bundling baseline (warm). */
export const CONSUMER_SPEEDUP_TARGET = 1.5;

/** The cdktf.json app command before this change, kept as the CLI baseline. */
const PREVIOUS_APP_COMMAND = 'npx ts-node --transpile-only main.ts';

/** `@cdktf/provider-aws/lib/lambda-function` is exported by the barrel as namespace `lambdaFunction`. */
function namespaceOf(libDir: string): string {
  return libDir.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

const DEEP_IMPORT = /require\("(@cdktf\/provider-[a-z]+)\/lib\/([a-z0-9-]+)"\)/g;
const BARREL_IMPORT = /require\("@cdktf\/provider-[a-z]+"\)/;

/**
 * Rewrites a compiled module's deep provider imports to barrel imports, e.g.
 * `require("@cdktf/provider-aws/lib/lambda-function")` to `require("@cdktf/provider-aws").lambdaFunction`.
 *
 * @param barrelExports reads a provider's `lib/index.js`, to check that the barrel exports each namespace
 */
export function rewriteToBarrel(source: string, barrelExports: (pkg: string) => string): string {
  return source.replace(DEEP_IMPORT, (_m, pkg: string, lib: string) => {
    const namespace = namespaceOf(lib);
    if (!barrelExports(pkg).includes(`exports.${namespace} = require("./${lib}")`)) {
      throw new Error(`${pkg} does not export ${lib} as ${namespace}: the barrel baseline cannot be built`);
    }
    return `require("${pkg}").${namespace}`;
  });
}

/**
 * Copies the compiled program to `target` with every deep provider import rewritten to the barrel.
 */
function writeBarrelVariant(root: string, dist: string, target: string): string {
  const barrels = new Map<string, string>();
  const barrelExports = (pkg: string): string => {
    const text = barrels.get(pkg) ?? fs.readFileSync(path.join(root, 'node_modules', pkg, 'lib', 'index.js'), 'utf8');
    barrels.set(pkg, text);
    return text;
  };
  const files = ['main.js', ...fs.readdirSync(path.join(dist, 'constructs'), { recursive: true, encoding: 'utf8' }).map((f) => path.join('constructs', f))];
  for (const relative of files.filter((f) => f.endsWith('.js'))) {
    const source = fs.readFileSync(path.join(dist, relative), 'utf8');
    if (BARREL_IMPORT.test(source)) throw new Error(`dist/${relative} imports a provider barrel: every provider import must stay deep`);
    fs.mkdirSync(path.dirname(path.join(target, relative)), { recursive: true });
    fs.writeFileSync(path.join(target, relative), rewriteToBarrel(source, barrelExports));
  }
  return path.join(target, 'main.js');
}

/** Wall time of `npm run synth` with extra CLI arguments, output to a scratch folder. */
function timeCliSynth(root: string, scratch: string, extra: readonly string[]): number {
  const output = fs.mkdtempSync(path.join(scratch, 'cli-'));
  return timeCommand('npm', ['run', '--silent', 'synth', '--', ...extra, '--output', output], { cwd: root, env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
}

/** Preloaded into every measured program: reports whether any esbuild module was loaded. */
const ESBUILD_MODULE_PROBE = `process.on('exit', () => require('fs').writeFileSync(process.env.BENCH_ESBUILD_MODULES, String(Object.keys(require.cache).filter((f) => /[\\\\/]@?esbuild[\\\\/]/.test(f)).length)));\n`;

/**
 * The consumer program: two instances in one stack, packaged as PACKAGING says. Lives in dist/ next to the constructs.
 * With BENCH_FLOOR=1 it neither loads nor uses the constructs: what is left (Node, cdktf, the provider, a stack with
 * only a provider) is the floor no packaging can go below.
 */
const CONSUMER_PROGRAM = `const { App, TerraformStack } = require('cdktf');
const { AwsProvider } = require('@cdktf/provider-aws/lib/provider');
const floor = process.env.BENCH_FLOOR === '1';
const { AsyncAthenaQuery } = floor ? {} : require('../../constructs');
const app = new App({ outdir: process.env.CDKTF_OUTDIR });
const stack = new TerraformStack(app, 'analytics');
new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
for (const id of floor ? [] : ['Orders', 'Billing']) {
  new AsyncAthenaQuery(stack, id, { workGroup: id.toLowerCase(), outputLocation: 's3://analytics-results/' + id.toLowerCase() + '/', callbackerPackaging: process.env.PACKAGING });
}
app.synth();
`;

/** Compiles the synth-time bundling baseline (bench/fixtures/synth-time-bundling) to CommonJS in `target`. */
function writeBaselineHook(root: string, target: string): string {
  const fixtures = path.join(root, 'bench', 'fixtures', 'synth-time-bundling');
  fs.mkdirSync(target, { recursive: true });
  for (const file of fs.readdirSync(fixtures).filter((f) => f.endsWith('.ts'))) {
    const source = fs.readFileSync(path.join(fixtures, file), 'utf8');
    const output = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } }).outputText;
    fs.writeFileSync(path.join(target, file.replace(/\.ts$/, '.js')), output);
  }
  return path.join(target, 'hook.js');
}

/** A stand-in for the esbuild binary (ESBUILD_BINARY_PATH) that counts its starts, then runs the real one. */
function writeEsbuildCounter(root: string, dir: string): { binary: string; count: () => number; reset: () => void } {
  const log = path.join(dir, 'esbuild-starts');
  const binary = path.join(dir, 'esbuild');
  // The platform package's native binary (esbuild/bin/esbuild may be a JavaScript launcher on some installs).
  const real = require.resolve(`@esbuild/${process.platform}-${process.arch}/bin/esbuild`, { paths: [root] });
  fs.writeFileSync(binary, `#!/bin/sh\necho start >> "${log}"\nexec "${real}" "$@"\n`, { mode: 0o755 });
  return {
    binary,
    count: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0),
    reset: () => fs.rmSync(log, { force: true }),
  };
}

interface Samples {
  readonly wallMs: number[];
  readonly rss: number[];
  /** esbuild processes started, per run. */
  readonly esbuildStarts: number[];
  /** esbuild modules loaded, per run. */
  readonly esbuildModules: number[];
}

const samples = (): Samples => ({ wallMs: [], rss: [], esbuildStarts: [], esbuildModules: [] });

export async function synthSection(options: BenchOptions): Promise<SectionReport> {
  const { root } = options;
  const dist = path.join(root, 'dist');
  // Measure the code as it is now; a smoke run accepts an existing build to stay quick.
  if (!options.smoke || !fs.existsSync(path.join(dist, 'main.js'))) timeCommand('npm', ['run', '--silent', 'build'], { cwd: root, env: process.env });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  // Inside dist/ so that package resolution and packageRoot() behave as for the real program; per process, so
  // concurrent runs (the smoke test next to a manual run) do not share them.
  const benchDir = path.join(dist, `.bench-${process.pid}`);
  try {
    // Consumer synths take about half a second and vary with machine load: nine runs steady the medians.
    const runs = options.smoke ? 1 : 9;
    const deployableRuns = options.smoke ? 1 : 5;
    const consumer = path.join(benchDir, 'consumer', 'consumer.js');
    fs.mkdirSync(path.dirname(consumer), { recursive: true });
    fs.writeFileSync(consumer, CONSUMER_PROGRAM);
    const hook = writeBaselineHook(root, path.join(benchDir, 'synth-time-bundling'));
    const probe = path.join(scratch, 'esbuild-probe.cjs');
    fs.writeFileSync(probe, ESBUILD_MODULE_PROBE);
    const counter = writeEsbuildCounter(root, scratch);
    const outdir = path.join(scratch, 'cdktf.out');
    const env = (tmp: string, extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
      ...process.env,
      TMPDIR: tmp,
      CDKTF_OUTDIR: outdir,
      CHECKPOINT_DISABLE: '1',
      ESBUILD_BINARY_PATH: counter.binary,
      BENCH_CONSTRUCTS_DIR: path.join(dist, 'constructs'),
      BENCH_ESBUILD_MODULES: path.join(scratch, 'esbuild-modules'),
      ...extra,
    });
    const measure = (into: Samples, args: string[], tmp: string, extra: NodeJS.ProcessEnv): void => {
      counter.reset();
      const run = timeNode(['--require', probe, ...args], { cwd: root, env: env(tmp, extra) });
      into.wallMs.push(run.wallMs);
      into.rss.push(run.maxRssMiB);
      into.esbuildStarts.push(counter.count());
      into.esbuildModules.push(Number(fs.readFileSync(path.join(scratch, 'esbuild-modules'), 'utf8')));
    };
    const prebuilt = { PACKAGING: 'prebuilt-zip' };
    const legacy = { PACKAGING: 'archive-provider' };
    const ours = samples();
    const baselineWarm = samples();
    const baselineCold = samples();
    const floor = samples();
    const oursTmp = fs.mkdtempSync(path.join(scratch, 'ours-'));
    const warmTmp = fs.mkdtempSync(path.join(scratch, 'warm-'));
    // Unmeasured: load the files into the OS cache, and fill the baseline's bundle cache.
    timeNode([consumer], { cwd: root, env: env(oursTmp, prebuilt) });
    timeNode(['--require', hook, consumer], { cwd: root, env: env(warmTmp, legacy) });
    for (let i = 0; i < runs; i += 1) {
      // Interleaved, so drift in machine load touches every variant alike.
      measure(ours, [consumer], oursTmp, prebuilt);
      measure(baselineWarm, ['--require', hook, consumer], warmTmp, legacy);
      measure(baselineCold, ['--require', hook, consumer], fs.mkdtempSync(path.join(scratch, 'cold-')), legacy);
      measure(floor, [consumer], oursTmp, { BENCH_FLOOR: '1' });
    }

    const deployable = samples();
    const barrel = samples();
    const barrelProgram = writeBarrelVariant(root, dist, path.join(benchDir, 'barrel'));
    if (!options.smoke) {
      // The barrel program takes 2-3 s a run, too slow for a smoke run: it is written and checked but not run then.
      for (let i = 0; i < deployableRuns; i += 1) {
        measure(deployable, [path.join(dist, 'main.js')], oursTmp, {});
        measure(barrel, [barrelProgram], oursTmp, {});
      }
    } else {
      measure(deployable, [path.join(dist, 'main.js')], oursTmp, {});
    }

    const seconds = (values: number[]): number => median(values) / 1000;
    const barrelNote = options.smoke ? 'baseline not run with --smoke' : undefined;
    const rows: Row[] = [
      row({ metric: 'consumer synth wall time, warm (baseline: warm bundle cache; target 1.5x faster)', unit: 's', ours: seconds(ours.wallMs), baseline: seconds(baselineWarm.wallMs), target: seconds(baselineWarm.wallMs) / CONSUMER_SPEEDUP_TARGET }),
      row({
        metric: 'consumer synth floor: the same program without AsyncAthenaQuery (baseline: warm bundle cache)',
        unit: 's',
        ours: seconds(floor.wallMs),
        baseline: seconds(baselineWarm.wallMs),
        note: 'Node start-up, cdktf, the AWS provider and an empty stack; ours minus this is what the constructs cost',
      }),
      row({ metric: 'consumer synth peak RSS, warm (baseline: warm bundle cache)', unit: 'MiB', ours: median(ours.rss), baseline: median(baselineWarm.rss) }),
      row({ metric: 'consumer synth wall time (baseline: cold, esbuild bundles)', unit: 's', ours: seconds(ours.wallMs), baseline: seconds(baselineCold.wallMs) }),
      row({ metric: 'consumer synth peak RSS (baseline: cold, esbuild bundles; its esbuild process not counted)', unit: 'MiB', ours: median(ours.rss), baseline: median(baselineCold.rss) }),
      row({ metric: 'esbuild processes started per consumer synth, most in any run (baseline: cold)', unit: 'processes', ours: Math.max(...ours.esbuildStarts), baseline: Math.max(...baselineCold.esbuildStarts), target: 0 }),
      row({ metric: 'esbuild modules loaded per consumer synth, most in any run (baseline: warm)', unit: 'modules', ours: Math.max(...ours.esbuildModules), baseline: Math.max(...baselineWarm.esbuildModules), target: 0 }),
      row({ metric: 'deployable stack compiled synth wall time (dist/main.js; baseline: barrel imports)', unit: 's', ours: seconds(deployable.wallMs), baseline: barrel.wallMs.length ? seconds(barrel.wallMs) : null, target: SYNTH_TARGET_SECONDS, note: barrelNote }),
      row({ metric: 'deployable stack compiled synth peak RSS (baseline: barrel imports)', unit: 'MiB', ours: median(deployable.rss), baseline: barrel.rss.length ? median(barrel.rss) : null, target: SYNTH_TARGET_MIB, note: barrelNote }),
      cliRow(options, root, scratch),
    ];
    return {
      title: 'Synth',
      baseline:
        'consumer synth: a compiled consumer program (two AsyncAthenaQuery instances in one stack, with an AWS provider) run as a fresh `node` process; ours uploads the prebuilt zip ' +
        "(packaging 'prebuilt-zip'), the baseline is the same program with bench/fixtures/synth-time-bundling/hook.ts preloaded, which makes the constructs bundle the callbacker " +
        "at synth with the package's previous bundler (verbatim: esbuild `buildSync` and the on-disk bundle cache in TMPDIR) and zip it with the archive provider (packaging 'archive-provider'), as before. " +
        `The floor is the same program run with BENCH_FLOOR=1, which leaves the constructs out: no packaging can make a synth faster than that. "Warm" baseline runs reuse a filled bundle cache (they load the esbuild module but start no esbuild process); "cold" ones start with an empty TMPDIR. ${runs} runs of each, interleaved, after one unmeasured run of each (${deployableRuns} of the deployable stack's two programs); wall time includes Node start-up; ` +
        'peak RSS from `process.resourceUsage()` of the node process (an esbuild child process is not included). esbuild processes are counted by pointing ESBUILD_BINARY_PATH at a ' +
        'counting wrapper of the real binary, and esbuild modules by the loaded module list. Deployable stack: dist/main.js against the same compiled program with every deep ' +
        '`@cdktf/provider-*/lib/<x>` import rewritten to the provider barrel. CLI: `npm run synth` (app `node node_modules/ts-node/dist/bin.js --swc main.ts`) against the same CLI ' +
        `with the previous app command \`${PREVIOUS_APP_COMMAND}\`.`,
      rows,
    };
  } finally {
    fs.rmSync(benchDir, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function cliRow(options: BenchOptions, root: string, scratch: string): Row {
  const metric = '`npm run synth` (cdktf CLI) wall time';
  if (options.smoke) return row({ metric, unit: 's', ours: null, target: CLI_TARGET_SECONDS, note: 'not run with --smoke' });
  const runs = 3;
  const ours: number[] = [];
  const previous: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    ours.push(timeCliSynth(root, scratch, []));
    previous.push(timeCliSynth(root, scratch, ['--app', PREVIOUS_APP_COMMAND]));
  }
  return row({ metric, unit: 's', ours: median(ours) / 1000, baseline: median(previous) / 1000, target: CLI_TARGET_SECONDS });
}
