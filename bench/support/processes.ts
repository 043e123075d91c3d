/**
 * Timing of child processes. Synth and module-load figures come from fresh processes, because a process that has
 * already loaded cdktf or the bundle would report cached, not cold, costs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

/** One run of a Node program. */
export interface NodeRun {
  /** From spawn to exit, Node's own start-up included. */
  readonly wallMs: number;
  /** Peak resident set size of the child. */
  readonly maxRssMiB: number;
}

/** A preloaded script that records the child's peak RSS (kilobytes) into BENCH_RSS_FILE on exit. */
const RSS_PROBE = `process.on('exit', () => require('fs').writeFileSync(process.env.BENCH_RSS_FILE, String(process.resourceUsage().maxRSS)));\n`;

/** Runs a command to completion; throws with its output when it fails. */
function runChecked(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): { stdout: string } {
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}:\n${output}`);
  }
  return { stdout: result.stdout };
}

/** Runs `node <args>` and reports wall time and peak memory. */
export function timeNode(args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): NodeRun {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-rss-'));
  try {
    const probe = path.join(scratch, 'probe.cjs');
    const rssFile = path.join(scratch, 'rss');
    fs.writeFileSync(probe, RSS_PROBE);
    const started = performance.now();
    runChecked(process.execPath, ['--require', probe, ...args], { cwd: options.cwd, env: { ...options.env, BENCH_RSS_FILE: rssFile } });
    const wallMs = performance.now() - started;
    return { wallMs, maxRssMiB: Number(fs.readFileSync(rssFile, 'utf8')) / 1024 };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** Runs a command and reports its wall time. */
export function timeCommand(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): number {
  const started = performance.now();
  runChecked(command, args, options);
  return performance.now() - started;
}

/** Runs a command that may fail (a test suite) and reports its wall time and exit status. */
export function timeCommandAllowingFailure(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): { wallMs: number; status: number | null; output: string } {
  const started = performance.now();
  const result = spawnSync(command, args, { cwd: options.cwd, env: options.env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { wallMs: performance.now() - started, status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

/** Runs a Node script and returns what it printed. */
export function runNode(args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): string {
  return runChecked(process.execPath, args, options).stdout;
}
