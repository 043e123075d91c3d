/**
 * `npm run bench`: measures the offline twin against the sample's design (cost per query, callback delay, burst),
 * synth, the callbacker and the test suite against same-run baselines, prints the table and writes BENCHMARKS.md.
 *
 *   npm run bench                  # about two minutes; the test-suite row repeats the last --suite figure
 *   npm run bench -- --suite       # also times `npm test` (--full is the same)
 *   npm run bench -- --smoke       # tiny counts, writes nothing: checks the harness (CI runs this through jest)
 *   npm run bench -- --out <file>  # write the Markdown somewhere else
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type BenchReport, renderConsole, renderMarkdown, type SectionReport } from './report';
import { burstSection } from './sections/burst';
import { callbackDelaySection } from './sections/callback-delay';
import { callbackerSection } from './sections/callbacker';
import { costSection } from './sections/cost';
import type { BenchOptions, Section } from './sections/section';
import { synthSection } from './sections/synth';
import { testSuiteSection } from './sections/test-suite';
import { describeMachine } from './support/machine';

/** In report order: the offline-twin sections (cost per query, callback delay, burst) first. */
export const SECTIONS: readonly Section[] = [costSection, callbackDelaySection, burstSection, synthSection, callbackerSection, testSuiteSection];

/** Runs every section in turn (they time things, so never in parallel). */
export async function runBench(options: BenchOptions, command: string): Promise<BenchReport> {
  const machine = describeMachine();
  const sections: SectionReport[] = [];
  for (const section of SECTIONS) sections.push(await section(options));
  return { command, machine, sections };
}

interface CliArguments {
  readonly options: BenchOptions;
  readonly out: string | undefined;
  readonly command: string;
}

function parseArguments(argv: readonly string[], root: string): CliArguments {
  const known = new Set(['--smoke', '--suite', '--full', '--out']);
  const unknown = argv.filter((arg, index) => !known.has(arg) && argv[index - 1] !== '--out');
  if (unknown.length > 0) throw new Error(`Unknown argument(s) ${unknown.join(' ')}; expected --smoke, --suite, --full or --out <file>`);
  const outIndex = argv.indexOf('--out');
  const smoke = argv.includes('--smoke');
  const out = outIndex === -1 ? (smoke ? undefined : path.join(root, 'BENCHMARKS.md')) : path.resolve(argv[outIndex + 1] ?? '');
  return {
    options: { root, smoke, suite: argv.includes('--suite') || argv.includes('--full') },
    out,
    command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
  };
}

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const { options, out, command } = parseArguments(process.argv.slice(2), root);
  const report = await runBench(options, command);
  process.stdout.write(renderConsole(report));
  if (out !== undefined) {
    fs.writeFileSync(out, renderMarkdown(report));
    process.stdout.write(`\nWrote ${path.relative(process.cwd(), out) || out}\n`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
