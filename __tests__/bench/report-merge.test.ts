import { type BenchReport, mergeMarkdown, renderMarkdown, row, type SectionReport } from '../../bench/report';
import { selectSections } from '../../bench/run';
import { expectedThrottleRetrySeconds } from '../../bench/sections/capacity-model';

const MACHINE = { date: '2026-11-30T10:00Z', cores: 2, cpuModel: 'CPU', memoryGiB: 8, os: 'Linux', nodeVersion: 'v20.20.2', loadAverage: 1 };

function section(title: string, ours: number, details?: string): SectionReport {
  return { title, baseline: `what ${title} compares with`, rows: [row({ metric: `${title} metric`, unit: 's', ours })], ...(details !== undefined && { details }) };
}

function report(command: string, sections: SectionReport[], date = MACHINE.date): BenchReport {
  return { command, machine: { ...MACHINE, date }, sections };
}

describe('mergeMarkdown', () => {
  const titles = ['A', 'B', 'C'];
  const full = renderMarkdown(report('npm run bench', [section('A', 1), section('B', 2, 'B model text.'), section('C', 3)]));

  it('replaces only the regenerated section\'s rows, baseline and details, keeping the others and their order', () => {
    // WHEN
    const merged = mergeMarkdown(full, report('npm run bench -- --only B', [section('B', 20, 'New B model.')], '2026-12-01T09:00Z'), titles);
    // THEN
    expect(merged).toBe(
      full
        .replace('| B | B metric | 2.00 s |', '| B | B metric | 20.0 s |')
        .replace('B model text.', 'New B model.')
        .replace(
          'Machine: 2 cores (nproc), CPU, 8.0 GiB RAM, Linux, Node v20.20.2; 1-minute load average 1.00 at the start.\n',
          'Machine: 2 cores (nproc), CPU, 8.0 GiB RAM, Linux, Node v20.20.2; 1-minute load average 1.00 at the start.\n\n' +
            'Regenerated alone by `npm run bench -- --only B` on 2026-12-01T09:00Z, sections: B; machine: 2 cores (nproc), CPU, 8.0 GiB RAM, Linux, Node v20.20.2; 1-minute load average 1.00 at the start.\n',
        ),
    );
  });

  it('adds a section the file did not have yet, in its place', () => {
    // GIVEN a file without C
    const withoutC = renderMarkdown(report('npm run bench', [section('A', 1), section('B', 2)]));
    // WHEN
    const merged = mergeMarkdown(withoutC, report('npm run bench -- --only C', [section('C', 3, 'C model.')]), titles);
    // THEN
    const lines = merged.split('\n');
    expect(lines.filter((l) => l.startsWith('| ')).slice(1).map((l) => l.split('|')[1].trim())).toEqual(['A', 'B', 'C']);
    expect(merged).toContain('- **C**: what C compares with');
    expect(merged.endsWith('## C model\n\nC model.\n')).toBe(true);
  });

  it('drops an earlier note about the same section and keeps one about another', () => {
    // GIVEN
    const once = mergeMarkdown(full, report('npm run bench -- --only A', [section('A', 5)]), titles);
    const twice = mergeMarkdown(once, report('npm run bench -- --only B', [section('B', 6)]), titles);
    // WHEN
    const thrice = mergeMarkdown(twice, report('npm run bench -- --only A', [section('A', 7)], '2026-12-02T00:00Z'), titles);
    // THEN
    const notes = thrice.split('\n').filter((l) => l.startsWith('Regenerated alone by'));
    expect(notes).toEqual([expect.stringContaining('on 2026-12-02T00:00Z, sections: A;'), expect.stringContaining('sections: B;')]);
  });

  it('refuses a file without the results table', () => {
    expect(() => mergeMarkdown('# Benchmarks\n', report('x', [section('A', 1)]), titles)).toThrow(/regenerate it whole with npm run bench/);
  });
});

describe('selectSections', () => {
  it('takes titles in any case, in report order', () => {
    expect(selectSections('capacity,BURST')).toEqual(['Burst', 'Capacity']);
  });

  it('names the titles there are when one is unknown', () => {
    expect(() => selectSections('capacity,speed')).toThrow(/--only takes section titles from Cost per query, Callback delay, Burst, Capacity, Synth, Callbacker, Test suite; got "capacity,speed"/);
  });
});

describe('expectedThrottleRetrySeconds', () => {
  it('sums the mean pause of each retry: half of 1, 2, 4, 8, 16, then 115 x 30 s', () => {
    expect(expectedThrottleRetrySeconds()).toBe((1 + 2 + 4 + 8 + 16 + 115 * 30) / 2);
  });
});
