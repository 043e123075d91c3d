/**
 * The built `async-athena-query` command (dist/client/bin.js), spawned as users run it. Asynchronous, so a server in
 * the test's own process can answer it. Not a suite.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The command as `npm run build` writes it. */
export const BUILT_CLI = path.resolve(__dirname, '..', '..', 'dist', 'client', 'bin.js');

/** How a run ended. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Throws unless the command was built (npm test builds first). */
export function requireBuiltCli(): void {
  if (!fs.existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run npm run build (npm test does) first`);
}

/** Runs the command with exactly this environment (nothing of the machine's AWS set-up leaks in) and standard input. */
export function runBuiltCli(args: readonly string[], options: { readonly env: NodeJS.ProcessEnv; readonly cwd: string; readonly input?: string }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BUILT_CLI, ...args], { env: options.env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
