/**
 * The `async-athena-query` command line as users run it: the built dist/client/bin.js spawned as a process, with a
 * clean environment, against a local server that verifies SigV4 and answers as the query API's contract says
 * (__tests__/support/contract-api-server.ts). Credentials come from the environment, from profiles of a temporary AWS
 * config file (static keys and credential_process), through the AWS SDK's standard chain.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { type CliRun, requireBuiltCli, runBuiltCli } from '../support/built-cli';
import { type ContractApi, type ContractState, startContractApi } from '../support/contract-api-server';

const ROOT = path.resolve(__dirname, '..', '..');
const ENV_KEY = { accessKeyId: 'AKIACLIENTENVKEY0001', secretAccessKey: 'env-secret-not-valid-in-aws' };
const PROFILE_KEY = { accessKeyId: 'AKIACLIENTPROFILE001', secretAccessKey: 'profile-secret-not-valid-in-aws' };
const PROCESS_KEY = { accessKeyId: 'ASIACLIENTPROCESS001', secretAccessKey: 'process-secret-not-valid-in-aws', sessionToken: 'process-session-token' };
const CALLBACK = 'https://hooks.example.com/athena';

/** Query text decides the lifecycle, one state per status read. */
function lifecycle(body: Record<string, unknown>): readonly ContractState[] {
  const query = String(body.Query);
  if (query.includes('colx')) return ['QUEUED', 'RUNNING', 'FAILED'];
  if (query.includes('forever')) return ['RUNNING'];
  return ['QUEUED', 'QUEUED', 'RUNNING', 'RUNNING', 'SUCCEEDED'];
}

let api: ContractApi;
let scratch: string;
let awsDir: string;

beforeAll(async () => {
  requireBuiltCli();
  api = await startContractApi({ credentials: [ENV_KEY, PROFILE_KEY, PROCESS_KEY], lifecycle });
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'client-cli-'));
  awsDir = path.join(scratch, 'aws');
  fs.mkdirSync(awsDir);
  // A credential_process prints the credentials JSON the AWS CLI documents. https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html
  const processScript = path.join(awsDir, 'print-credentials.js');
  fs.writeFileSync(processScript, `process.stdout.write(JSON.stringify({ Version: 1, AccessKeyId: '${PROCESS_KEY.accessKeyId}', SecretAccessKey: '${PROCESS_KEY.secretAccessKey}', SessionToken: '${PROCESS_KEY.sessionToken}' }));\n`);
  fs.writeFileSync(
    path.join(awsDir, 'config'),
    [
      '[profile analytics]',
      `aws_access_key_id = ${PROFILE_KEY.accessKeyId}`,
      `aws_secret_access_key = ${PROFILE_KEY.secretAccessKey}`,
      'region = us-east-1',
      '',
      '[profile from-process]',
      `credential_process = "${process.execPath}" "${processScript}"`,
      '',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(awsDir, 'credentials'), '');
});
afterAll(async () => {
  await api.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/**
 * The environment of a user with nothing but what the test gives: no machine AWS settings, no instance metadata.
 * The region comes from AWS_REGION: the local API's host name is not an execute-api one.
 */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: scratch,
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: path.join(awsDir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(awsDir, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    ...(process.env.TF_CLI_CONFIG_FILE !== undefined && { TF_CLI_CONFIG_FILE: process.env.TF_CLI_CONFIG_FILE }),
    ...extra,
  };
}

const envCredentials = { AWS_ACCESS_KEY_ID: ENV_KEY.accessKeyId, AWS_SECRET_ACCESS_KEY: ENV_KEY.secretAccessKey };

/** Runs the CLI (asynchronously: the server answers from this process). */
function cli(args: readonly string[], options: { env?: Record<string, string>; input?: string; cwd?: string } = {}): Promise<CliRun> {
  return runBuiltCli(args, { env: cleanEnv(options.env ?? envCredentials), cwd: options.cwd ?? scratch, ...(options.input !== undefined && { input: options.input }) });
}

const at = (): string[] => ['--api-url', api.stageUrl];

async function submitted(query = 'SELECT 1'): Promise<string> {
  const run = await cli([...at(), 'submit', '--query', query, '--callback-url', CALLBACK]);
  if (run.code !== 0) throw new Error(`submit failed: ${run.stderr}`);
  return run.stdout.trim();
}

describe('credentials', () => {
  it('signs with keys from the environment', async () => {
    // WHEN
    const run = await cli([...at(), 'submit', '--query', 'SELECT 1', '--callback-url', CALLBACK, '--json']);
    // THEN
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const answer = JSON.parse(run.stdout) as { queryId: string; executionArn: string; startDate: number };
    expect(answer).toEqual({ queryId: expect.any(String), executionArn: expect.stringContaining(answer.queryId), startDate: 1_700_000_000.123 });
    expect(api.requests.at(-1)).toMatchObject({ method: 'POST', path: '/live/queries', accessKeyId: ENV_KEY.accessKeyId });
  });

  it('signs with a profile of the AWS config file named by --profile', async () => {
    // WHEN
    const run = await cli([...at(), 'status', await submitted(), '--profile', 'analytics'], { env: {} });
    // THEN
    expect(run.code).toBe(0);
    expect(api.requests.at(-1)?.accessKeyId).toBe(PROFILE_KEY.accessKeyId);
  });

  it('signs with a credential_process profile named by AWS_PROFILE, sending its session token', async () => {
    // WHEN
    const run = await cli([...at(), 'status', await submitted()], { env: { AWS_PROFILE: 'from-process' } });
    // THEN
    expect(run.code).toBe(0);
    expect(api.requests.at(-1)).toMatchObject({ accessKeyId: PROCESS_KEY.accessKeyId, headers: { 'x-amz-security-token': PROCESS_KEY.sessionToken } });
  });

  it('exits 4 naming the problem when no credentials can be found, and sends nothing', async () => {
    // GIVEN
    const before = api.requests.length;
    // WHEN
    const run = await cli([...at(), 'status', 'q-1'], { env: {} });
    // THEN
    expect(run).toEqual({ code: 4, stdout: '', stderr: expect.stringMatching(/^async-athena-query: Could not load AWS credentials to sign the request: /) });
    expect(api.requests.length).toBe(before);
  });

  it('exits 4 for a profile that does not exist', async () => {
    // WHEN
    const run = await cli([...at(), 'status', 'q-1', '--profile', 'nope'], { env: {} });
    // THEN
    expect(run.code).toBe(4);
    expect(run.stderr).toContain('Could not load AWS credentials');
  });
});

describe('submit', () => {
  it('prints the query id alone, so a shell can capture it, and sends every option', async () => {
    // WHEN
    const run = await cli([...at(), 'submit', '-q', 'SELECT * FROM t WHERE d = ? AND n > ?', '--callback-url', CALLBACK, '--param', "'2024-01-01'", '--param=-5', '--reuse-minutes', '15', '--idempotency-key', 'cli-key-1']);
    // THEN
    expect(run).toEqual({ code: 0, stdout: 'cli-key-1\n', stderr: '' });
    const sent = api.requests.at(-1);
    expect(sent?.headers['idempotency-key']).toBe('cli-key-1');
    expect(JSON.parse(sent?.body ?? '')).toEqual({ Query: 'SELECT * FROM t WHERE d = ? AND n > ?', CallbackUrl: CALLBACK, ExecutionParameters: ["'2024-01-01'", '-5'], ResultReuseMaxAgeMinutes: 15 });
  });

  it('reads the SQL from a file, without an editor\'s byte order mark', async () => {
    // GIVEN
    const file = path.join(scratch, 'query.sql');
    fs.writeFileSync(file, '\uFEFFSELECT "col1"\nFROM "database1"."tableA"\n');
    // WHEN
    const run = await cli([...at(), 'submit', '--query-file', file, '--callback-url', CALLBACK]);
    // THEN
    expect(run.code).toBe(0);
    expect(JSON.parse(api.requests.at(-1)?.body ?? '').Query).toBe('SELECT "col1"\nFROM "database1"."tableA"\n');
  });

  it('reads the SQL from standard input for --query-file -', async () => {
    // WHEN
    const run = await cli([...at(), 'submit', '--query-file', '-', '--callback-url', CALLBACK], { input: 'SELECT 42' });
    // THEN
    expect(run.code).toBe(0);
    expect(JSON.parse(api.requests.at(-1)?.body ?? '').Query).toBe('SELECT 42');
  });

  it('exits 2 for a query file that cannot be read, sending nothing', async () => {
    // WHEN
    const run = await cli([...at(), 'submit', '--query-file', path.join(scratch, 'missing.sql'), '--callback-url', CALLBACK]);
    // THEN
    expect(run).toEqual({ code: 2, stdout: '', stderr: `async-athena-query: cannot read the query from ${path.join(scratch, 'missing.sql')}: ENOENT\n` });
  });

  it('exits 1 with the HTTP status and the API\'s message when the API refuses the body', async () => {
    // WHEN
    const run = await cli([...at(), 'submit', '-q', 'SELECT 1', '--callback-url', 'http://insecure.example.com/']);
    // THEN
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^async-athena-query: POST \/live\/queries answered 400: Invalid request body: CallbackUrl must be an https:\/\/ URL \(request id [0-9a-f-]+\)\n$/);
  });

  it('exits 1 for a reused idempotency key with another body, printing the error as JSON with --json', async () => {
    // GIVEN
    await cli([...at(), 'submit', '-q', 'SELECT 1', '--callback-url', CALLBACK, '--idempotency-key', 'cli-key-2']);
    // WHEN
    const run = await cli([...at(), 'submit', '-q', 'SELECT 2', '--callback-url', CALLBACK, '--idempotency-key', 'cli-key-2', '--json']);
    // THEN
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(JSON.parse(run.stderr)).toEqual({ error: { name: 'ApiError', message: expect.stringContaining('answered 409'), status: 409, apiMessage: 'Idempotency-Key cli-key-2 was used with a different body', requestId: expect.any(String) } });
  });
});

describe('status', () => {
  it('prints the status as field: value lines', async () => {
    // GIVEN
    const id = await submitted();
    // WHEN
    const run = await cli([...at(), 'status', id]);
    // THEN
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^queryId: +${id}\nstatus: +QUEUED\nexecutionArn: +arn:aws:states:us-east-1:123456789012:execution:contract-queries:${id}\nstartDate: +2023-11-14T22:13:20.123Z\ncallback: +pending\n$`));
  });

  it('prints the API\'s JSON with --json', async () => {
    // GIVEN
    const id = await submitted();
    // WHEN
    const run = await cli([...at(), 'status', id, '--json']);
    // THEN
    expect(JSON.parse(run.stdout)).toMatchObject({ queryId: id, status: 'QUEUED', callback: { status: 'pending' } });
  });

  it('exits 1 naming 404 and the API\'s message for an unknown id', async () => {
    // WHEN
    const run = await cli([...at(), 'status', 'no-such-query']);
    // THEN
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^async-athena-query: GET \/live\/queries\/no-such-query answered 404: No query no-such-query \(request id /);
  });
});

describe('wait', () => {
  it('prints a progress line per state on standard error and the final status on standard output, exit 0', async () => {
    // GIVEN
    const id = await submitted();
    // WHEN
    const run = await cli([...at(), 'wait', id, '--max-interval', '0.01']);
    // THEN
    expect(run.code).toBe(0);
    expect(run.stderr.split('\n')).toEqual([
      expect.stringMatching(new RegExp(`^${id}: QUEUED, waited \\d+ (ms|s)$`)),
      expect.stringMatching(new RegExp(`^${id}: RUNNING, waited \\d+ (ms|s), scanned \\d+\\.\\d KiB$`)),
      expect.stringMatching(new RegExp(`^${id}: SUCCEEDED, waited \\d+ (ms|s), scanned \\d+\\.\\d KiB, callback pending$`)),
      '',
    ]);
    expect(run.stdout).toMatch(/^queryId: .*\nstatus: +SUCCEEDED\n/);
  });

  it('exits 3 when the query ends FAILED, printing the reason', async () => {
    // GIVEN
    const id = await submitted('SELECT colx FROM t');
    // WHEN
    const run = await cli([...at(), 'wait', id, '--max-interval', '0.01', '--json']);
    // THEN
    expect(run.code).toBe(3);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: 'FAILED', stateChangeReason: "line 1:8: Column 'colx' cannot be resolved" });
    expect(run.stderr).toContain(`${id}: FAILED`);
  });

  it('exits 3 when the query ends CANCELLED', async () => {
    // GIVEN a running query, cancelled
    const id = await submitted('SELECT forever');
    await cli([...at(), 'cancel', id]);
    // WHEN
    const run = await cli([...at(), 'wait', id, '--max-interval', '0.01']);
    // THEN
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(/status: +CANCELLED/);
  });

  it('exits 5 when --timeout runs out first', async () => {
    // GIVEN a query that never finishes
    const id = await submitted('SELECT forever');
    // WHEN
    const run = await cli([...at(), 'wait', id, '--timeout', '0.2', '--max-interval', '0.05']);
    // THEN
    expect(run.code).toBe(5);
    expect(run.stderr).toContain(`async-athena-query: Query ${id} was still RUNNING after 0.2 s of waiting`);
  });
});

describe('cancel', () => {
  it('prints CANCELLED for a query that had not started', async () => {
    // GIVEN
    const id = await submitted();
    // WHEN
    const run = await cli([...at(), 'cancel', id]);
    // THEN
    expect(run).toEqual({ code: 0, stdout: `${id} CANCELLED\n`, stderr: '' });
    expect(api.requests.at(-1)).toMatchObject({ method: 'DELETE', path: `/live/queries/${id}` });
  });

  it('exits 1 with 409 and the final state for a finished query', async () => {
    // GIVEN
    const id = await submitted();
    await cli([...at(), 'wait', id, '--max-interval', '0.01']);
    // WHEN
    const run = await cli([...at(), 'cancel', id]);
    // THEN
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`answered 409: Query ${id} has already finished: SUCCEEDED`));
  });
});

describe('result', () => {
  let id: string;
  beforeAll(async () => {
    id = await submitted();
    await cli([...at(), 'wait', id, '--max-interval', '0.01']);
  });

  it('writes the CSV to standard output', async () => {
    // WHEN
    const run = await cli([...at(), 'result', id]);
    // THEN
    expect(run).toEqual({ code: 0, stdout: `"query","n"\n"${id}","1"\n"${id}","2"\n`, stderr: '' });
  });

  it('writes the CSV to --output FILE, saying how many bytes', async () => {
    // GIVEN
    const file = path.join(scratch, 'result.csv');
    // WHEN
    const run = await cli([...at(), 'result', id, '--output', file]);
    // THEN
    const csv = `"query","n"\n"${id}","1"\n"${id}","2"\n`;
    expect(run).toEqual({ code: 0, stdout: '', stderr: `Wrote ${Buffer.byteLength(csv)} bytes to ${file}\n` });
    expect(fs.readFileSync(file, 'utf8')).toBe(csv);
  });

  it('prints the fresh presigned link with --link', async () => {
    // WHEN
    const run = await cli([...at(), 'result', id, '--link']);
    // THEN
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/results/${id}\\.csv\\?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature=[0-9a-f]+\n$`));
  });

  it('exits 1 with 409 for a query that is not SUCCEEDED, and leaves no file behind', async () => {
    // GIVEN
    const running = await submitted('SELECT forever');
    const file = path.join(scratch, 'never.csv');
    // WHEN
    const run = await cli([...at(), 'result', running, '--output', file]);
    // THEN
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`answered 409: Query ${running} is RUNNING, not SUCCEEDED: it has no result`);
    expect(fs.readdirSync(scratch).filter((f) => f.includes('never.csv'))).toEqual([]);
  });
});

describe('where the API is', () => {
  it('takes ASYNC_ATHENA_API_URL when no option gives it', async () => {
    // WHEN
    const run = await cli(['status', await submitted()], { env: { ...envCredentials, ASYNC_ATHENA_API_URL: api.stageUrl } });
    // THEN
    expect(run.code).toBe(0);
  });

  it('takes api_invoke_url from terraform output -json in --terraform-output-dir (the real terraform binary)', async () => {
    // GIVEN a Terraform root whose applied output is the module's api_invoke_url (the stage URL plus /queries)
    const dir = path.join(scratch, 'infra');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'main.tf'), `output "api_invoke_url" {\n  value = "${api.stageUrl}/queries"\n}\n`);
    execFileSync('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: dir, env: cleanEnv({ CHECKPOINT_DISABLE: '1' }), stdio: 'ignore' });
    const id = await submitted();
    // WHEN
    const run = await cli(['status', id, '--terraform-output-dir', dir]);
    // THEN
    expect(run.code).toBe(0);
    expect(api.requests.at(-1)).toMatchObject({ method: 'GET', path: `/live/queries/${id}` });
  });

  it('exits 2 listing the outputs there are when the named one is missing', async () => {
    // GIVEN
    const dir = path.join(scratch, 'other-infra');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'main.tf'), 'output "query_api" {\n  value = "https://abc.execute-api.eu-west-1.amazonaws.com/live"\n}\n');
    execFileSync('terraform', ['apply', '-auto-approve', '-input=false', '-no-color'], { cwd: dir, env: cleanEnv({ CHECKPOINT_DISABLE: '1' }), stdio: 'ignore' });
    // WHEN
    const run = await cli(['status', 'q-1', '--terraform-output-dir', dir]);
    // THEN
    expect(run).toEqual({
      code: 2,
      stdout: '',
      stderr: `async-athena-query: ${dir} has no Terraform output "api_invoke_url": it has "query_api"; name the one that holds the module's api_invoke_url with --terraform-output-name\n`,
    });
  });

  it('exits 2 when nothing gives the API URL', async () => {
    // WHEN
    const run = await cli(['status', 'q-1']);
    // THEN
    expect(run).toEqual({ code: 2, stdout: '', stderr: 'async-athena-query: the API URL is unknown: pass --api-url URL or --terraform-output-dir DIR, or set ASYNC_ATHENA_API_URL\n' });
  });

  it('exits 2 when the region to sign for is unknown', async () => {
    // WHEN
    const run = await cli([...at(), 'status', 'q-1'], { env: { ...envCredentials, AWS_REGION: '' } });
    // THEN
    expect(run).toEqual({ code: 2, stdout: '', stderr: 'async-athena-query: the region to sign for is unknown: the API URL is not an execute-api host name, so pass --region (or set AWS_REGION)\n' });
  });

  it('exits 4 when the API cannot be reached', async () => {
    // GIVEN a port where nothing listens
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // WHEN
    const run = await cli(['--api-url', `http://127.0.0.1:${port}/live`, 'status', 'q-1', '--region', 'us-east-1']);
    // THEN
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/^async-athena-query: GET \/live\/queries\/q-1 got no answer: ECONNREFUSED/);
  });
});

describe('usage', () => {
  it('exits 2 for an unknown option, pointing at the command\'s help', async () => {
    // WHEN
    const run = await cli(['cancel', 'q-1', '--force']);
    // THEN
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("Unknown option '--force'");
    expect(run.stderr).toContain('Run `async-athena-query cancel --help` for usage.');
  });

  it('prints the help, with the exit codes, and exits 0', async () => {
    // WHEN
    const run = await cli(['--help']);
    // THEN
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Exit codes:\n  0  success');
  });

  it('prints the package version', async () => {
    // GIVEN
    const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    // WHEN
    const run = await cli(['--version']);
    // THEN
    expect(run).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });
});
