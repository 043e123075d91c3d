#!/usr/bin/env node
/**
 * The `async-athena-query` executable (package.json `bin`): runs the command line against the process's streams
 * and exits with the command's code. Ctrl-C stops a `wait` cleanly (exit 130).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from './cli/main';

/**
 * The version of the package this file ships in: the nearest package.json up from here that declares this command
 * (either flavour of the package: cdktf-async-athena-query or cdktn-async-athena-query).
 */
function packageVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const { bin, version } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { bin?: Record<string, string>; version?: string };
      if (bin?.['async-athena-query'] !== undefined && version !== undefined) return version;
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

const interrupt = new AbortController();
process.once('SIGINT', () => interrupt.abort(new Error('interrupted')));

runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  stderrIsTty: process.stderr.isTTY === true,
  signal: interrupt.signal,
  version: packageVersion(),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`async-athena-query: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 70;
  },
);
