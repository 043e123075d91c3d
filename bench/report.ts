/**
 * The benchmark report: sections of rows, each row a figure of ours next to a baseline measured in the same run,
 * rendered as one Markdown table plus the machine and the command, for the terminal and for BENCHMARKS.md.
 */
import type { MachineDescription } from './support/machine';

/** Units the figures are given in. Counts (`transitions`, `queries`, `processes`, `modules`) and `USD` are not times or sizes. */
export type Unit = 's' | 'ms' | 'MiB' | 'KB' | 'transitions' | 'queries' | 'processes' | 'modules' | 'USD';

/** Every unit, for checks. */
export const UNITS: readonly Unit[] = ['s', 'ms', 'MiB', 'KB', 'transitions', 'queries', 'processes', 'modules', 'USD'];

/** One measured figure. Null fields are "not measured here" or "no such thing" (no baseline, no target). */
export interface Row {
  readonly metric: string;
  readonly unit: Unit;
  readonly ours: number | null;
  readonly baseline: number | null;
  /** ours / baseline. */
  readonly ratio: number | null;
  /** An upper bound, in `unit`. */
  readonly target: number | null;
  /** ours <= target. */
  readonly met: boolean | null;
  /** Why a figure is missing, or how it was taken. */
  readonly note?: string;
}

/** A group of rows with what their baseline is. */
export interface SectionReport {
  readonly title: string;
  /** What "baseline" means in this section, for the reader of BENCHMARKS.md. */
  readonly baseline: string;
  readonly rows: readonly Row[];
}

/** Everything one run produced. */
export interface BenchReport {
  readonly command: string;
  readonly machine: MachineDescription;
  readonly sections: readonly SectionReport[];
}

/** Builds a row, computing ratio and met from the figures. */
export function row(fields: { metric: string; unit: Unit; ours: number | null; baseline?: number | null; target?: number | null; note?: string }): Row {
  const baseline = fields.baseline ?? null;
  const target = fields.target ?? null;
  const { ours } = fields;
  return {
    metric: fields.metric,
    unit: fields.unit,
    ours,
    baseline,
    ratio: ours !== null && baseline !== null && baseline > 0 ? ours / baseline : null,
    target,
    met: ours !== null && target !== null ? ours <= target : null,
    ...(fields.note !== undefined && { note: fields.note }),
  };
}

/** Three significant digits, enough for figures that vary by a few percent between runs. */
function figure(value: number | null, unit: Unit): string {
  if (value === null) return '—';
  if (unit === 'USD') return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  if ((unit === 'transitions' || unit === 'queries' || unit === 'processes' || unit === 'modules') && Number.isInteger(value)) return `${value} ${unit}`;
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : value >= 1 ? 2 : 3;
  return `${value.toFixed(digits)} ${unit}`;
}

function ratio(value: number | null): string {
  if (value === null) return '—';
  if (value === 0) return '0×';
  return `${value >= 0.01 ? value.toFixed(value >= 10 ? 0 : 2) : value.toPrecision(2)}×`;
}

function verdict(met: boolean | null): string {
  if (met === null) return '—';
  return met ? 'yes' : '**no**';
}

/** The rows of every section as one Markdown table. */
export function renderTable(sections: readonly SectionReport[]): string {
  const lines = ['| Section | Metric | Ours | Baseline | Ours / baseline | Target | Met |', '|---|---|---:|---:|---:|---:|:---:|'];
  for (const section of sections) {
    for (const r of section.rows) {
      const metric = r.note === undefined ? r.metric : `${r.metric} (${r.note})`;
      lines.push(
        `| ${section.title} | ${metric} | ${figure(r.ours, r.unit)} | ${figure(r.baseline, r.unit)} | ${ratio(r.ratio)} | ${r.target === null ? '—' : `≤ ${figure(r.target, r.unit)}`} | ${verdict(r.met)} |`,
      );
    }
  }
  return lines.join('\n');
}

function renderMachine(machine: MachineDescription): string {
  return (
    `${machine.cores} cores (nproc), ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB RAM, ${machine.os}, Node ${machine.nodeVersion}; ` +
    `1-minute load average ${machine.loadAverage.toFixed(2)} at the start`
  );
}

/** The whole BENCHMARKS.md. */
export function renderMarkdown(report: BenchReport): string {
  return [
    '# Benchmarks',
    '',
    `Produced by \`${report.command}\` on ${report.machine.date}. Regenerate with \`npm run bench\` (add \`--suite\` to time`,
    '`npm test` as well; without it the test-suite row repeats the last `--suite` figure).',
    '',
    `Machine: ${renderMachine(report.machine)}.`,
    '',
    'Figures are medians unless the metric says otherwise; each baseline is measured in the same run, on the same machine.',
    '',
    renderTable(report.sections),
    '',
    '## What each baseline is',
    '',
    ...report.sections.map((section) => `- **${section.title}**: ${section.baseline}`),
    '',
  ].join('\n');
}

/** The terminal version: machine line, then the table. */
export function renderConsole(report: BenchReport): string {
  return [`${report.command}`, `Machine: ${renderMachine(report.machine)}; ${report.machine.date}`, '', renderTable(report.sections), ''].join('\n');
}
