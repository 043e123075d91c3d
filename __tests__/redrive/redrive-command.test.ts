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

const DEPLOYMENT = [
  '--state-machine-arn',
  'arn:aws:states:us-east-1:123456789012:stateMachine:q',
  '--output-location',
  's3://results/athena/',
  '--function-name',
  'f',
];

describe('npm run redrive', () => {
  it.each([
    ['no arguments', [], '--state-machine-arn must be a state machine ARN'],
    ['no source', DEPLOYMENT, 'give --queue-url, --unrecorded-since or both'],
    ['an output location without its trailing slash', [...DEPLOYMENT.slice(0, 3), 's3://results/athena', ...DEPLOYMENT.slice(4), '--queue-url', 'https://sqs.us-east-1.amazonaws.com/123456789012/q'], '--output-location must be the module\'s s3://bucket/prefix/ (ending in /), got "s3://results/athena"'],
    ['a start that is not a date', [...DEPLOYMENT, '--unrecorded-since', 'yesterday'], '--unrecorded-since must be an ISO 8601 date or time, got "yesterday"'],
    ['a cancellation state machine that is not a state machine ARN', [...DEPLOYMENT, '--queue-url', 'https://sqs.us-east-1.amazonaws.com/123456789012/q', '--cancellation-state-machine-arn', 'cancellations'], '--cancellation-state-machine-arn must be a state machine ARN (terraform output cancellation_state_machine_arn), got "cancellations"'],
    ['a non-numeric --max', [...DEPLOYMENT, '--queue-url', 'https://sqs.us-east-1.amazonaws.com/123456789012/q', '--max', 'ten'], '--max must be a positive whole number, got "ten"'],
  ])('prints the usage and the problem, and exits 2, for %s', (_name, args, problem) => {
    // WHEN
    const { status, stderr } = runRedrive(args);
    // THEN
    expect(status).toBe(2);
    expect(stderr).toMatch(/^usage: npm run redrive -- --state-machine-arn ARN --output-location s3:\/\/bucket\/prefix\/ --function-name NAME \[--cancellation-state-machine-arn ARN\] \[--queue-url URL\] \[--unrecorded-since ISO-8601\] \[--max N\] \[--dry-run\]\n/);
    expect(stderr).toContain(problem);
  });
});
