/**
 * What the package checks that run outside jest share (scripts/consumer-check.ts, scripts/cdktn-check.ts): running
 * commands, npm with the repository's download cache, and counting checks into a `<label>: N passed, M failed` line
 * that .ci/run adds to its total.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import * as path from 'node:path';

/** The repository root (this file lives in `scripts/`). */
export const ROOT = path.resolve(__dirname, '..');

/** npm's download cache for the scratch projects: repeated runs need no network (`--prefer-offline`). */
export const NPM_CACHE = path.join(ROOT, '.cache', 'npm');

/** The environment npm runs with in scratch projects: the cache above, no audit, funding or update notices. */
export const npmEnv: NodeJS.ProcessEnv = {
  ...process.env,
  npm_config_cache: NPM_CACHE,
  npm_config_prefer_offline: 'true',
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

/** How a command ended. */
export interface Outcome {
  readonly status: number;
  /** Standard output. */
  readonly output: string;
  /** Standard error. */
  readonly errors: string;
}

/** Runs a command to its end, capturing both streams. */
export function run(command: string, args: readonly string[], options: SpawnSyncOptions & { cwd: string }): Outcome {
  const result = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024, ...options });
  return { status: result.status ?? 1, output: String(result.stdout ?? ''), errors: `${String(result.stderr ?? '')}${result.error ? result.error.message : ''}` };
}

/** The standard output of a command that must succeed; throws with the end of its output otherwise. */
export function must(outcome: Outcome, what: string): string {
  if (outcome.status !== 0) throw new Error(`${what} failed (exit ${outcome.status}):\n${`${outcome.output}${outcome.errors}`.slice(-4000)}`);
  return outcome.output;
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

/** Counts checks and prints each as it ends: `  ok    name`, or `  FAIL  name` with the message indented. */
export class CheckTally {
  public passed = 0;
  public failed = 0;

  /** Runs one check; a thrown error is a failure with its message. Returns whether it passed. */
  public check(name: string, body: () => void): boolean {
    try {
      body();
      this.passed += 1;
      process.stdout.write(`  ok    ${name}\n`);
      return true;
    } catch (error) {
      this.failed += 1;
      const message = error instanceof Error ? error.message : String(error);
      process.stdout.write(`  FAIL  ${name}\n${message.replace(/^/gm, '        ')}\n`);
      return false;
    }
  }

  /** The summary line .ci/run reads: `<label>: N passed, M failed`. */
  public summary(label: string): string {
    return `${label}: ${this.passed} passed, ${this.failed} failed`;
  }
}

/** The lowest version a peer range admits: `^1.2.3` and `>=1.2.3 <2.0.0` give `1.2.3`. */
export function lowerEnd(range: string): string {
  const match = /^(?:\^|>=)(\d+\.\d+\.\d+)(?:\s+<\d+\.\d+\.\d+)?$/.exec(range);
  if (match === null) throw new Error(`Peer range ${range} is neither ^x.y.z nor >=x.y.z <a.b.c; teach scripts/check-support.ts its lower end`);
  return match[1];
}
