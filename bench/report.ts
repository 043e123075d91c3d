/**
 * The benchmark report: sections of rows, each row a figure of ours next to a baseline measured in the same run,
 * rendered as one Markdown table plus the machine and the command, for the terminal and for BENCHMARKS.md.
 */
import type { MachineDescription } from './support/machine';

/** Units the figures are given in. Counts (`transitions`, `queries`, `processes`, `modules`, `calls`, `requests`, `polls`), rates and `USD` are not times or sizes. */
export type Unit = 's' | 'ms' | 'MiB' | 'KB' | 'transitions' | 'queries' | 'processes' | 'modules' | 'calls' | 'requests' | 'polls' | 'queries/s' | 'USD';

/** Every unit, for checks. */
export const UNITS: readonly Unit[] = ['s', 'ms', 'MiB', 'KB', 'transitions', 'queries', 'processes', 'modules', 'calls', 'requests', 'polls', 'queries/s', 'USD'];

/** Units that count things: a whole number is printed without decimals. */
const COUNTS: readonly Unit[] = ['transitions', 'queries', 'processes', 'modules', 'calls', 'requests', 'polls'];

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
  /** Longer Markdown about the section (a model, a derivation), written under its own heading after the table. */
  readonly details?: string;
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
  if (COUNTS.includes(unit) && Number.isInteger(value)) return `${value} ${unit}`;
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

const BASELINES_HEADING = '## What each baseline is';

function baselineLine(section: SectionReport): string {
  return `- **${section.title}**: ${section.baseline}`;
}

function detailsBlock(section: SectionReport): string[] {
  return section.details === undefined ? [] : [`## ${section.title} model`, '', section.details.trimEnd(), ''];
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
    BASELINES_HEADING,
    '',
    ...report.sections.map(baselineLine),
    '',
    ...report.sections.flatMap(detailsBlock),
  ].join('\n');
}

/** The parts of a BENCHMARKS.md, by section title. */
interface ParsedMarkdown {
  readonly header: string[];
  readonly tableHead: string[];
  readonly rows: Map<string, string[]>;
  readonly baselines: Map<string, string>;
  readonly details: Map<string, string[]>;
}

function parseMarkdown(markdown: string): ParsedMarkdown {
  const lines = markdown.split('\n');
  const tableStart = lines.findIndex((l) => l.startsWith('| Section |'));
  const baselinesStart = lines.indexOf(BASELINES_HEADING);
  if (tableStart === -1 || baselinesStart === -1) throw new Error('BENCHMARKS.md has no results table or no baseline list: regenerate it whole with npm run bench');
  const rows = new Map<string, string[]>();
  let i = tableStart + 2;
  for (; i < lines.length && lines[i].startsWith('| '); i++) {
    const title = lines[i].split('|')[1].trim();
    rows.set(title, [...(rows.get(title) ?? []), lines[i]]);
  }
  const baselines = new Map<string, string>();
  const details = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of lines.slice(baselinesStart + 1)) {
    const bullet = /^- \*\*(.+?)\*\*: /.exec(line);
    const heading = /^## (.+) model$/.exec(line);
    if (heading !== null) {
      current = [];
      details.set(heading[1], current);
    }
    if (current !== undefined) current.push(line);
    else if (bullet !== null) baselines.set(bullet[1], line);
  }
  return { header: lines.slice(0, tableStart), tableHead: lines.slice(tableStart, tableStart + 2), rows, baselines, details };
}

/**
 * BENCHMARKS.md with only the sections of `report` regenerated: every other section's rows, baseline and details are
 * kept as `previous` has them, in the order of `titles`, and the header says which sections were regenerated alone,
 * by which command and when.
 */
export function mergeMarkdown(previous: string, report: BenchReport, titles: readonly string[]): string {
  const old = parseMarkdown(previous);
  const fresh = new Map(report.sections.map((s) => [s.title, s]));
  const regenerated = report.sections.map((s) => s.title);
  const note = `Regenerated alone by \`${report.command}\` on ${report.machine.date}, sections: ${regenerated.join(', ')}; machine: ${renderMachine(report.machine)}.`;
  // An earlier note about any of these sections no longer holds.
  const header = old.header.filter((line) => {
    const listed = /^Regenerated alone by .*, sections: (.+?); machine: /.exec(line)?.[1].split(', ');
    return listed === undefined || !listed.some((title) => regenerated.includes(title));
  });
  // The note goes after the machine line, followed by a blank line.
  const machineLine = header.findIndex((l) => l.startsWith('Machine: '));
  header.splice(machineLine + 1, 0, '', note);
  const table = titles.flatMap((title) => {
    const section = fresh.get(title);
    return section === undefined ? (old.rows.get(title) ?? []) : renderTable([section]).split('\n').slice(2);
  });
  const baselines = titles.flatMap((title) => {
    const section = fresh.get(title);
    const line = section === undefined ? old.baselines.get(title) : baselineLine(section);
    return line === undefined ? [] : [line];
  });
  const details = titles.flatMap((title) => {
    const section = fresh.get(title);
    if (section !== undefined) return detailsBlock(section);
    return old.details.get(title) ?? [];
  });
  return [...header, ...old.tableHead, ...table, '', BASELINES_HEADING, '', ...baselines, '', ...details].join('\n').replace(/\n{3,}/g, '\n\n').replace(/\n*$/, '\n');
}

/** The terminal version: machine line, then the table. */
export function renderConsole(report: BenchReport): string {
  return [`${report.command}`, `Machine: ${renderMachine(report.machine)}; ${report.machine.date}`, '', renderTable(report.sections), ''].join('\n');
}
