/**
 * runCli in this process, for what a spawned process cannot show deterministically: the progress line on a terminal
 * and an interrupted wait. The contract server verifies SigV4 as in the other client suites.
 */
import { PassThrough, Readable } from 'node:stream';
import { type CliIo, runCli } from '../../client/cli/main';
import { type ContractApi, startContractApi } from '../support/contract-api-server';

const CREDENTIALS = { accessKeyId: 'AKIACLIENTINPROCESS1', secretAccessKey: 'in-process-secret-not-valid-in-aws' };

let api: ContractApi;
beforeEach(async () => {
  api = await startContractApi({ credentials: [CREDENTIALS], lifecycle: (body) => (String(body.Query).includes('forever') ? ['RUNNING'] : ['QUEUED', 'QUEUED', 'RUNNING', 'RUNNING', 'SUCCEEDED']) });
});
afterEach(async () => {
  await api.close();
});

interface Captured {
  readonly io: CliIo;
  stdout(): string;
  stderr(): string;
}

function capture(overrides: Partial<CliIo> = {}): Captured {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  err.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return {
    io: {
      stdout: out,
      stderr: err,
      stdin: Readable.from([]),
      env: { AWS_REGION: 'us-east-1' },
      stderrIsTty: false,
      version: '0.0.0-test',
      clientOptions: { credentials: CREDENTIALS, sleep: async () => undefined, random: () => 0.5 },
      ...overrides,
    },
    stdout: () => stdout,
    stderr: () => stderr,
  };
}

async function submit(query: string): Promise<string> {
  const run = capture();
  const code = await runCli(['--api-url', api.stageUrl, 'submit', '-q', query, '--callback-url', 'https://hooks.example.com/a'], run.io);
  if (code !== 0) throw new Error(run.stderr());
  return run.stdout().trim();
}

describe('runCli', () => {
  it('rewrites the progress line in place on a terminal and ends it with a newline when final', async () => {
    // GIVEN
    const id = await submit('SELECT 1');
    const run = capture({ stderrIsTty: true });
    // WHEN
    const code = await runCli(['--api-url', api.stageUrl, 'wait', id], run.io);
    // THEN one rewrite per poll, each clearing the line first
    expect(code).toBe(0);
    const rewrites = run.stderr().split('\r\x1b[K').slice(1);
    expect(rewrites.map((r) => r.replace(/waited \d+ ms/, 'waited N'))).toEqual([
      `${id}: QUEUED, waited N`,
      `${id}: RUNNING, waited N, scanned 3.0 KiB`,
      `${id}: RUNNING, waited N, scanned 4.5 KiB`,
      `${id}: SUCCEEDED, waited N, scanned 6.0 KiB, callback pending\n`,
    ]);
  });

  it('stops a wait when its signal aborts (Ctrl-C), exiting 130 with the line closed', async () => {
    // GIVEN a query that never finishes, and an interrupt during the first pause
    const id = await submit('SELECT forever');
    const interrupt = new AbortController();
    const run = capture({
      stderrIsTty: true,
      signal: interrupt.signal,
      clientOptions: {
        credentials: CREDENTIALS,
        random: () => 0.5,
        sleep: async () => {
          interrupt.abort(new Error('interrupted'));
        },
      },
    });
    // WHEN
    const code = await runCli(['--api-url', api.stageUrl, 'wait', id], run.io);
    // THEN
    expect(code).toBe(130);
    expect(run.stderr().endsWith('\n')).toBe(true);
    expect(run.stdout()).toBe('');
  });

  it('prints a usage error as JSON with --json, and the command\'s help pointer', async () => {
    // GIVEN
    const run = capture();
    // WHEN
    const code = await runCli(['wait', '--json'], run.io);
    // THEN
    expect(code).toBe(2);
    expect(run.stderr()).toBe('{\n  "error": {\n    "name": "UsageError",\n    "message": "wait takes one query id, got none"\n  }\n}\nRun `async-athena-query wait --help` for usage.\n');
  });
});
