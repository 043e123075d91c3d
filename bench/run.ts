/**
 * `npm run bench`: measures the offline twin against the sample's design (cost per query, callback delay, burst),
 * synth, the callbacker and the test suite against same-run baselines, prints the table and writes BENCHMARKS.md.
 *
 *   npm run bench                  # about two minutes; the test-suite row repeats the last --suite figure
 *   npm run bench -- --suite       # also times `npm test` (--full is the same)
 *   npm run bench -- --smoke       # tiny counts, writes nothing: checks the harness (CI runs this through jest)
 *   npm run bench -- --out <file>  # write the Markdown somewhere else
 *   npm run bench -- --only capacity   # run only these sections (titles, comma-separated, any case) and replace
 *                                      # just their rows, baseline and details in the existing BENCHMARKS.md
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type BenchReport, mergeMarkdown, renderConsole, renderMarkdown, type SectionReport } from './report';
import { burstSection } from './sections/burst';
import { callbackDelaySection } from './sections/callback-delay';
import { callbackerSection } from './sections/callbacker';
import { capacitySection } from './sections/capacity';
import { costSection } from './sections/cost';
import type { BenchOptions, Section } from './sections/section';
import { synthSection } from './sections/synth';
import { testSuiteSection } from './sections/test-suite';
import { describeMachine } from './support/machine';

/** In report order: the offline-twin sections (cost per query, callback delay, burst, capacity) first. */
export const SECTIONS: readonly Section[] = [costSection, callbackDelaySection, burstSection, capacitySection, synthSection, callbackerSection, testSuiteSection];

/** The title of each of {@link SECTIONS}, in the same order (each section reports its own; a test keeps them equal). */
export const SECTION_TITLES: readonly string[] = ['Cost per query', 'Callback delay', 'Burst', 'Capacity', 'Synth', 'Callbacker', 'Test suite'];

/** Runs every section in turn (they time things, so never in parallel), or only those whose titles are given. */
export async function runBench(options: BenchOptions, command: string, only?: readonly string[]): Promise<BenchReport> {
  const machine = describeMachine();
  const sections: SectionReport[] = [];
  for (const [index, section] of SECTIONS.entries()) {
    if (only === undefined || only.includes(SECTION_TITLES[index])) sections.push(await section(options));
  }
  return { command, machine, sections };
}

/** Section titles named by `--only` (any case), or an error naming the ones that do not exist. */
export function selectSections(list: string): string[] {
  const wanted = list.split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== '');
  const unknown = wanted.filter((t) => !SECTION_TITLES.some((title) => title.toLowerCase() === t));
  if (wanted.length === 0 || unknown.length > 0) throw new Error(`--only takes section titles from ${SECTION_TITLES.join(', ')}; got ${JSON.stringify(list)}`);
  return SECTION_TITLES.filter((title) => wanted.includes(title.toLowerCase()));
}

interface CliArguments {
  readonly options: BenchOptions;
  readonly out: string | undefined;
  readonly command: string;
  readonly only: readonly string[] | undefined;
}

function parseArguments(argv: readonly string[], root: string): CliArguments {
  const known = new Set(['--smoke', '--suite', '--full', '--out', '--only']);
  const unknown = argv.filter((arg, index) => !known.has(arg) && argv[index - 1] !== '--out' && argv[index - 1] !== '--only');
  if (unknown.length > 0) throw new Error(`Unknown argument(s) ${unknown.join(' ')}; expected --smoke, --suite, --full, --out <file> or --only <sections>`);
  const outIndex = argv.indexOf('--out');
  const onlyIndex = argv.indexOf('--only');
  const smoke = argv.includes('--smoke');
  const out = outIndex === -1 ? (smoke ? undefined : path.join(root, 'BENCHMARKS.md')) : path.resolve(argv[outIndex + 1] ?? '');
  return {
    options: { root, smoke, suite: argv.includes('--suite') || argv.includes('--full') },
    out,
    command: ['npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' '),
    only: onlyIndex === -1 ? undefined : selectSections(argv[onlyIndex + 1] ?? ''),
  };
}

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..');
  const { options, out, command, only } = parseArguments(process.argv.slice(2), root);
  const report = await runBench(options, command, only);
  process.stdout.write(renderConsole(report));
  if (out !== undefined) {
    // Only some sections ran: the others keep what the file already says about them.
    fs.writeFileSync(out, only === undefined ? renderMarkdown(report) : mergeMarkdown(fs.readFileSync(out, 'utf8'), report, SECTION_TITLES));
    process.stdout.write(`\nWrote ${path.relative(process.cwd(), out) || out}\n`);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
