/** What the figures were measured on: they only mean something next to the machine that produced them. */
import * as fs from 'node:fs';
import * as os from 'node:os';

export interface MachineDescription {
  /** Processors available to this process, as `nproc` counts them. */
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly os: string;
  readonly nodeVersion: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  readonly loadAverage: number;
  /** ISO 8601, to the minute. */
  readonly date: string;
}

/** The first `model name` of /proc/cpuinfo, else what Node reports. */
function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (match !== null) return match[1].trim();
  } catch {
    // Not Linux: fall through.
  }
  return os.cpus()[0]?.model.trim() ?? 'unknown CPU';
}

export function describeMachine(now: Date = new Date()): MachineDescription {
  return {
    cores: os.availableParallelism(),
    cpuModel: cpuModel(),
    memoryGiB: os.totalmem() / 1024 ** 3,
    os: `${os.type()} ${os.release()}`,
    nodeVersion: process.version,
    loadAverage: os.loadavg()[0],
    date: `${now.toISOString().slice(0, 16)}Z`,
  };
}
