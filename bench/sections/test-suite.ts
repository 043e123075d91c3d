/**
 * Part 6, test suite: `npm test` (build, type-check, jest) wall time. Timing it takes as long as the suite, so it
 * runs only with --suite (or --full); other runs report the figure the last such run recorded in
 * bench/results/test-suite.json, with its date.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { row, type SectionReport } from '../report';
import { timeCommandAllowingFailure } from '../support/processes';
import type { BenchOptions } from './section';

export const SUITE_TARGET_SECONDS = 90;

interface SuiteRecord {
  readonly wallSeconds: number;
  /** The closing "tests: N passed, M failed" line, or how the run ended without one. */
  readonly summary: string;
  /** ISO 8601. */
  readonly measuredAt: string;
  readonly cores: number;
}

function recordFile(root: string): string {
  return path.join(root, 'bench', 'results', 'test-suite.json');
}

function readRecord(root: string): SuiteRecord | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(recordFile(root), 'utf8')) as Partial<SuiteRecord>;
    if (typeof parsed.wallSeconds === 'number' && typeof parsed.summary === 'string' && typeof parsed.measuredAt === 'string' && typeof parsed.cores === 'number') {
      return { wallSeconds: parsed.wallSeconds, summary: parsed.summary, measuredAt: parsed.measuredAt, cores: parsed.cores };
    }
  } catch {
    // No record yet.
  }
  return undefined;
}

export async function testSuiteSection(options: BenchOptions): Promise<SectionReport> {
  const metric = '`npm test` wall time';
  const baseline = 'none: the target is absolute. The figure is one run of `npm test` (tsc build, tsc type-check, jest on all workers).';
  if (options.suite && !options.smoke) {
    // A failing suite still has a wall time; the summary line says how it went.
    const run = timeCommandAllowingFailure('npm', ['test'], { cwd: options.root, env: { ...process.env, CI: 'true' } });
    const summary = /^tests: \d+ passed, \d+ failed$/m.exec(run.output)?.[0] ?? `exit status ${run.status}, no jest summary (build or type-check failed)`;
    const wallSeconds = run.wallMs / 1000;
    const record: SuiteRecord = { wallSeconds, summary, measuredAt: new Date().toISOString(), cores: os.availableParallelism() };
    fs.mkdirSync(path.dirname(recordFile(options.root)), { recursive: true });
    fs.writeFileSync(recordFile(options.root), `${JSON.stringify(record, null, 2)}\n`);
    return { title: 'Test suite', baseline, rows: [row({ metric, unit: 's', ours: wallSeconds, target: SUITE_TARGET_SECONDS, note: `measured in this run; ${summary}` })] };
  }
  const record = readRecord(options.root);
  const rows =
    record === undefined
      ? [row({ metric, unit: 's', ours: null, target: SUITE_TARGET_SECONDS, note: 'never measured: run `npm run bench -- --suite`' })]
      : [
          row({
            metric,
            unit: 's',
            ours: record.wallSeconds,
            target: SUITE_TARGET_SECONDS,
            note: `last \`--suite\` run, ${record.measuredAt.slice(0, 16)}Z on ${record.cores} cores; ${record.summary}`,
          }),
        ];
  return { title: 'Test suite', baseline, rows };
}
