/**
 * The bench harness in --smoke mode: every section runs and yields well-formed rows, and the Markdown holds the
 * machine, the command and every section. No figure is judged here: timings belong to `npm run bench`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type BenchReport, renderMarkdown, type Row, UNITS } from '../../bench/report';
import { runBench, SECTION_TITLES, SECTIONS } from '../../bench/run';
import { rewriteToBarrel } from '../../bench/sections/synth';

const ROOT = path.resolve(__dirname, '..', '..');
const TITLES = ['Cost per query', 'Callback delay', 'Burst', 'Capacity', 'Synth', 'Callbacker', 'Test suite'];
let report: BenchReport;

beforeAll(async () => {
  report = await runBench({ root: ROOT, smoke: true, suite: false }, 'npm run bench -- --smoke');
}, 180_000);

function isNullableNumber(value: unknown): boolean {
  return value === null || (typeof value === 'number' && Number.isFinite(value) && value >= 0);
}

describe('npm run bench -- --smoke', () => {
  it('reports every section, each with rows and a baseline description', () => {
    expect(report.sections.map((s) => s.title)).toEqual(TITLES);
    expect(SECTION_TITLES).toEqual(TITLES);
    expect(report.sections).toHaveLength(SECTIONS.length);
    for (const section of report.sections) {
      expect(section.rows.length).toBeGreaterThan(0);
      expect(section.baseline.length).toBeGreaterThan(20);
    }
  });

  it('gives rows whose ratio and verdict follow from their figures', () => {
    const rows: Row[] = report.sections.flatMap((s) => [...s.rows]);
    for (const r of rows) {
      expect(r.metric).not.toBe('');
      expect(UNITS).toContain(r.unit);
      [r.ours, r.baseline, r.ratio, r.target].forEach((value) => expect(isNullableNumber(value)).toBe(true));
      expect(r.ratio).toBe(r.ours !== null && r.baseline !== null ? r.ours / r.baseline : null);
      expect(r.met).toBe(r.ours !== null && r.target !== null ? r.ours <= r.target : null);
      // A figure that is missing says why.
      if (r.ours === null) expect(r.note).toBeDefined();
    }
  });

  it('measures our side of every metric except the CLI and the test suite', () => {
    const measured = report.sections
      .filter((s) => s.title !== 'Test suite')
      .flatMap((s) => s.rows)
      .filter((r) => !r.metric.includes('cdktf CLI'));
    expect(measured.every((r) => r.ours !== null)).toBe(true);
  });

  it('measures the sample\'s design next to ours in every offline-twin row, and the callbacker baseline', () => {
    const withBaseline = report.sections.filter((s) => ['Cost per query', 'Callback delay', 'Burst', 'Callbacker'].includes(s.title)).flatMap((s) => s.rows);
    expect(withBaseline.filter((r) => r.baseline === null).map((r) => r.metric)).toEqual([]);
  });

  it('reports transitions for 2 s, 60 s and 30 min queries, their cost, and the burst\'s lost queries and makespan', () => {
    const metrics = (title: string) => report.sections.find((s) => s.title === title)?.rows.map((r) => r.metric) ?? [];
    for (const duration of ['2 s', '60 s', '30 min']) {
      expect(metrics('Cost per query')).toContain(`transitions per successful query, T = ${duration}`);
      expect(metrics('Cost per query')).toContain(`cost per million successful queries, T = ${duration}`);
    }
    expect(metrics('Callback delay').length).toBeGreaterThan(0);
    expect(metrics('Burst').some((m) => m.startsWith('queries without a callback'))).toBe(true);
    expect(metrics('Burst').some((m) => m.startsWith('makespan'))).toBe(true);
  });

  it('checks the capacity model: makespan and throughput of short and long queries, quota replays, the stage throttle and wait\'s polls', () => {
    // GIVEN
    const capacity = report.sections.find((s) => s.title === 'Capacity');
    const metrics = capacity?.rows.map((r) => r.metric) ?? [];
    // THEN
    for (const workload of ['Short queries', 'Long queries']) {
      expect(metrics.filter((m) => m.startsWith(`${workload}: makespan`))).toHaveLength(1);
      expect(metrics.filter((m) => m.startsWith(`${workload}: sustained throughput`))).toHaveLength(1);
    }
    expect(metrics.filter((m) => m.includes('would refuse'))).toHaveLength(3);
    expect(capacity?.rows.find((r) => r.metric.startsWith('Stage throttle'))?.ratio).toBe(1);
    expect(metrics.filter((m) => m.startsWith('`wait`'))).toHaveLength(4);
    expect(capacity?.details).toContain('### What binds first');
    // Every workload's queries got their callback.
    expect(capacity?.rows.filter((r) => r.metric.includes('makespan')).map((r) => r.note)).toEqual([expect.stringContaining(', 0 missing;'), expect.stringContaining(', 0 missing;')]);
  });

  it('counts esbuild in the synth rows: none in our consumer synth, and the cold synth-time bundling baseline starts it', () => {
    // GIVEN
    const synth = report.sections.find((s) => s.title === 'Synth')?.rows ?? [];
    const started = synth.find((r) => r.metric.startsWith('esbuild processes started per consumer synth') && r.metric.includes('cold'));
    const loaded = synth.find((r) => r.metric.startsWith('esbuild modules loaded per consumer synth'));
    // THEN
    expect(started).toMatchObject({ ours: 0, target: 0, met: true });
    expect(started?.baseline).toBeGreaterThanOrEqual(1);
    expect(loaded).toMatchObject({ ours: 0, baseline: 1 });
  });

  it('renders Markdown with the machine, the command and every row', () => {
    const markdown = renderMarkdown(report);
    expect(markdown).toContain('npm run bench -- --smoke');
    expect(markdown).toMatch(/Machine: \d+ cores \(nproc\), .+, Node v\d+/);
    const tableRows = markdown.split('\n').filter((line) => TITLES.some((title) => line.startsWith(`| ${title} |`)));
    expect(tableRows).toHaveLength(report.sections.reduce((n, s) => n + s.rows.length, 0));
    for (const section of report.sections) expect(markdown).toContain(`- **${section.title}**: `);
  });
});

describe('the barrel baseline', () => {
  it('rewrites every deep provider import of the compiled program to an exported barrel namespace', () => {
    // GIVEN
    const barrel = (pkg: string) => fs.readFileSync(path.join(ROOT, 'node_modules', pkg, 'lib', 'index.js'), 'utf8');
    const source = 'const a = require("@cdktf/provider-aws/lib/data-aws-caller-identity");\nconst b = require("@cdktf/provider-archive/lib/data-archive-file");';

    // WHEN
    const rewritten = rewriteToBarrel(source, barrel);

    // THEN
    expect(rewritten).toBe('const a = require("@cdktf/provider-aws").dataAwsCallerIdentity;\nconst b = require("@cdktf/provider-archive").dataArchiveFile;');
  });

  it('refuses a namespace the barrel does not export', () => {
    expect(() => rewriteToBarrel('require("@cdktf/provider-aws/lib/no-such-thing")', () => '')).toThrow(/does not export no-such-thing as noSuchThing/);
  });
});
