/**
 * Part 4, synth: the deployable stack's compiled program (`node dist/main.js`) against the same program with its
 * deep provider imports turned into provider barrel imports, cold (no bundle cache) and warm; and `npm run synth`
 * through the cdktf CLI against the CLI running the app the way it used to (`npx ts-node --transpile-only main.ts`).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { row, type Row, type SectionReport } from '../report';
import { timeCommand, timeNode } from '../support/processes';
import { median } from '../support/stats';
import type { BenchOptions } from './section';

export const SYNTH_TARGET_SECONDS = 0.5;
export const SYNTH_TARGET_MIB = 120;
export const CLI_TARGET_SECONDS = 3;

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

interface Variant {
  readonly program: string;
  /** TMPDIR holding the warm bundle cache. */
  readonly warmTmp: string;
  readonly cold: { wallMs: number[]; rss: number[] };
  readonly warm: { wallMs: number[]; rss: number[] };
}

function synthEnv(tmp: string, outdir: string): NodeJS.ProcessEnv {
  return { ...process.env, TMPDIR: tmp, CDKTF_OUTDIR: outdir, CHECKPOINT_DISABLE: '1' };
}

/** Wall time of `npm run synth` with extra CLI arguments, output to a scratch folder. */
function timeCliSynth(root: string, scratch: string, extra: readonly string[]): number {
  const output = fs.mkdtempSync(path.join(scratch, 'cli-'));
  return timeCommand('npm', ['run', '--silent', 'synth', '--', ...extra, '--output', output], { cwd: root, env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
}

export async function synthSection(options: BenchOptions): Promise<SectionReport> {
  const { root } = options;
  const dist = path.join(root, 'dist');
  // Measure the code as it is now; a smoke run accepts an existing build to stay quick.
  if (!options.smoke || !fs.existsSync(path.join(dist, 'main.js'))) timeCommand('npm', ['run', '--silent', 'build'], { cwd: root, env: process.env });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  // Inside dist/ so that package resolution and packageRoot() behave as for the real program; per process, so
  // concurrent runs (the smoke test next to a manual run) do not share it.
  const barrelDir = path.join(dist, `.bench-barrel-${process.pid}`);
  try {
    const runs = options.smoke ? 1 : 5;
    const variants: Variant[] = [path.join(dist, 'main.js'), writeBarrelVariant(root, dist, barrelDir)].map((program) => ({
      program,
      warmTmp: fs.mkdtempSync(path.join(scratch, 'warm-')),
      cold: { wallMs: [], rss: [] },
      warm: { wallMs: [], rss: [] },
    }));
    const outdir = path.join(scratch, 'cdktf.out');
    const measure = (variant: Variant, kind: 'cold' | 'warm', tmp: string): void => {
      const run = timeNode([variant.program], { cwd: root, env: synthEnv(tmp, outdir) });
      variant[kind].wallMs.push(run.wallMs);
      variant[kind].rss.push(run.maxRssMiB);
    };
    if (options.smoke) {
      // One cold run (which fills the cache) and one warm run of ours. The barrel program takes 2-3 s a run, too
      // slow for a smoke run: it is written and checked (writeBarrelVariant) but not run.
      const [ours] = variants;
      measure(ours, 'cold', ours.warmTmp);
      measure(ours, 'warm', ours.warmTmp);
    } else {
      // Fill each warm cache once, unmeasured.
      for (const variant of variants) timeNode([variant.program], { cwd: root, env: synthEnv(variant.warmTmp, outdir) });
      for (let i = 0; i < runs; i += 1) {
        // Interleaved, so drift in machine load touches both variants alike.
        for (const variant of variants) {
          measure(variant, 'cold', fs.mkdtempSync(path.join(scratch, 'cold-')));
          measure(variant, 'warm', variant.warmTmp);
        }
      }
    }
    const [ours, barrel] = variants;
    const baselineOf = (samples: number[], scale = 1): number | null => (samples.length === 0 ? null : median(samples) / scale);
    const note = options.smoke ? 'baseline not run with --smoke' : undefined;
    const rows: Row[] = [
      row({ metric: 'compiled synth wall time, warm bundle cache', unit: 's', ours: median(ours.warm.wallMs) / 1000, baseline: baselineOf(barrel.warm.wallMs, 1000), target: SYNTH_TARGET_SECONDS, note }),
      row({ metric: 'compiled synth peak RSS, warm bundle cache', unit: 'MiB', ours: median(ours.warm.rss), baseline: baselineOf(barrel.warm.rss), target: SYNTH_TARGET_MIB, note }),
      row({ metric: 'compiled synth wall time, cold (no bundle cache)', unit: 's', ours: median(ours.cold.wallMs) / 1000, baseline: baselineOf(barrel.cold.wallMs, 1000), target: SYNTH_TARGET_SECONDS, note }),
      row({ metric: 'compiled synth peak RSS, cold (no bundle cache)', unit: 'MiB', ours: median(ours.cold.rss), baseline: baselineOf(barrel.cold.rss), target: SYNTH_TARGET_MIB, note }),
      cliRow(options, root, scratch),
    ];
    return {
      title: 'Synth',
      baseline:
        `compiled synth: the same compiled program (dist/main.js) with every deep \`@cdktf/provider-*/lib/<x>\` import rewritten to the provider barrel; ` +
        `${runs} runs each, interleaved, each a fresh \`node\` process (wall time includes Node start-up; peak RSS from \`process.resourceUsage()\`). ` +
        `"Cold" runs start with an empty TMPDIR, so the callbacker is bundled by esbuild; "warm" runs reuse the on-disk bundle cache. ` +
        `CLI: \`npm run synth\` (app \`node node_modules/ts-node/dist/bin.js --swc main.ts\`) against the same CLI with the previous app command \`${PREVIOUS_APP_COMMAND}\`.`,
      rows,
    };
  } finally {
    fs.rmSync(barrelDir, { recursive: true, force: true });
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
