import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/** The `npm run redrive` entry point, run as users run it (ts-node), on its argument checks: no AWS call is made. */
const root = path.resolve(__dirname, '..', '..');

function runRedrive(args: string[]): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [require.resolve('ts-node/dist/bin.js'), '--transpile-only', 'scripts/redrive.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    // No credentials or region: a call that reached AWS would fail differently from the usage error asserted here.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    timeout: 30_000,
  });
  return { status: result.status, stderr: result.stderr };
}

describe('npm run redrive', () => {
  it.each([
    ['no arguments', []],
    ['a queue URL without a function', ['--queue-url', 'https://sqs.us-east-1.amazonaws.com/123456789012/q']],
    ['a non-numeric --max', ['--queue-url', 'https://sqs.us-east-1.amazonaws.com/123456789012/q', '--function-name', 'f', '--max', 'ten']],
  ])('prints the usage and exits 2 for %s', (_name, args) => {
    // WHEN
    const { status, stderr } = runRedrive(args);
    // THEN
    expect(status).toBe(2);
    expect(stderr).toMatch(/^usage: npm run redrive -- --queue-url URL --function-name NAME \[--max N\] \[--dry-run\]/);
  });
});
