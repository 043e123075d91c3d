/**
 * The `async-athena-query` command (the built dist/client/bin.js, spawned as a process) driving the twin of the
 * synthesized stack: submit, idempotent resubmit, wait, status, result, cancel, and the errors of each route, all
 * against the query API function behind the synthesized routes, with SigV4 checked by the twin's API.
 *
 * The command is a client outside the twin: its requests are not work the twin clock can see, and it signs with the
 * wall clock. So this twin keeps real time (as `npm start -- --serve` does for outside clients): queries take no time
 * except the one marked LONG, which runs for ten minutes unless cancelled. Nothing asserted depends on how long
 * anything takes: `wait` is asserted on the final state it reports, never on the intermediate ones.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseCsv } from '../../twin/athena/athena-csv';
import { RealTimeClock } from '../../twin/clock/twin-clock';
import { type CliRun, requireBuiltCli, runBuiltCli } from '../support/built-cli';
import { finished, SAMPLE_QUERY, startWorld, within, type World } from './harness';

const LONG = '/* long */';

let world: World;
let scratch: string;

beforeAll(async () => {
  requireBuiltCli();
  world = await startWorld({ clock: new RealTimeClock(), athena: { timing: { minimumRunningMs: (query) => (query.Query.includes(LONG) ? 600_000 : 0) } } });
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-e2e-'));
});

afterAll(async () => {
  await world?.close();
  if (scratch !== undefined) fs.rmSync(scratch, { recursive: true, force: true });
});

/** Runs the command as a user would, with the twin's API URL and credentials in the environment and nothing else of this machine's AWS set-up. */
function cli(args: readonly string[]): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    HOME: scratch,
    ASYNC_ATHENA_API_URL: world.twin.stageUrl,
    AWS_REGION: world.twin.region,
    AWS_ACCESS_KEY_ID: world.twin.clientCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: world.twin.clientCredentials.secretAccessKey,
    AWS_CONFIG_FILE: path.join(scratch, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  return within(120_000, `async-athena-query ${args.join(' ')}`, runBuiltCli(args, { env, cwd: scratch }));
}

async function submit(args: readonly string[]): Promise<string> {
  const run = await cli(['submit', ...args]);
  if (run.code !== 0) throw new Error(`submit exited ${run.code}: ${run.stderr}`);
  return run.stdout.trim();
}

const executionOf = (queryId: string) => world.twin.stateMachine.executions.find((e) => e.name === queryId);
const acknowledged = (hookPath: string) => world.receiver.deliveries.find((d) => d.path === hookPath && d.acknowledged);

describe('e2e: the CLI against the twin', () => {
  describe('a query that succeeds', () => {
    let queryId: string;
    let waited: CliRun;

    beforeAll(async () => {
      queryId = await submit(['--query', SAMPLE_QUERY, '--callback-url', world.receiver.url('/cli/succeeds'), '--idempotency-key', 'cli-e2e-sample']);
      waited = await cli(['wait', queryId, '--max-interval', '0.2']);
    });

    it('submits through the signed API and prints the query id, which is the idempotency key', () => {
      // THEN
      expect(queryId).toBe('cli-e2e-sample');
      expect(executionOf(queryId)?.input).toMatchObject({
        Query: SAMPLE_QUERY,
        CallbackUrl: world.receiver.url('/cli/succeeds'),
      });
    });

    it('waits until SUCCEEDED: exit 0, the final status on standard output, its progress on standard error', () => {
      // THEN
      expect(waited.code).toBe(0);
      expect(waited.stdout).toMatch(new RegExp(`^queryId: +${queryId}\nstatus: +SUCCEEDED\n`));
      expect(waited.stderr).toMatch(new RegExp(`${queryId}: SUCCEEDED, waited .*, callback (pending|delivered)\n$`));
    });

    it('prints the status the API answers as JSON, with Athena\'s query id', async () => {
      // WHEN
      const run = await cli(['status', queryId, '--json']);
      // THEN
      expect(run.code).toBe(0);
      const executionArn = executionOf(queryId)?.executionArn ?? '';
      expect(JSON.parse(run.stdout)).toMatchObject({ queryId, executionArn, status: 'SUCCEEDED', queryExecutionId: world.twin.queryOf(executionArn)?.QueryExecutionId });
    });

    it('downloads the result CSV through a fresh link: the rows DuckDB answers directly', async () => {
      // GIVEN
      const file = path.join(scratch, 'sample.csv');
      // WHEN
      const run = await cli(['result', queryId, '--output', file]);
      // THEN
      expect(run.code).toBe(0);
      const rows = parseCsv(fs.readFileSync(file, 'utf8'));
      const direct = await world.twin.athena.directAnswer(SAMPLE_QUERY);
      expect(rows[0]).toEqual(direct.columns);
      expect(rows.slice(1)).toEqual(direct.rows);
      expect(rows.slice(1)).toHaveLength(10);
    });

    it('resubmits with the same key and body: the same query, nothing started', async () => {
      // GIVEN
      const executions = world.twin.stateMachine.executions.length;
      // WHEN
      const again = await cli(['submit', '--query', SAMPLE_QUERY, '--callback-url', world.receiver.url('/cli/succeeds'), '--idempotency-key', 'cli-e2e-sample', '--json']);
      // THEN
      expect(again.code).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ queryId });
      expect(world.twin.stateMachine.executions.length).toBe(executions);
    });

    it('exits 1 naming 409 when the same key comes with another body', async () => {
      // WHEN
      const run = await cli(['submit', '--query', `${SAMPLE_QUERY} -- other`, '--callback-url', world.receiver.url('/cli/succeeds'), '--idempotency-key', 'cli-e2e-sample']);
      // THEN
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^async-athena-query: POST \/live\/queries answered 409: /);
    });

    it('exits 1 naming 409 and the final state when asked to cancel it', async () => {
      // WHEN
      const run = await cli(['cancel', queryId]);
      // THEN
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`^async-athena-query: DELETE /live/queries/${queryId} answered 409: .*SUCCEEDED`));
    });
  });

  describe('a query with execution parameters', () => {
    it('passes each --param to Athena, and the result is DuckDB\'s answer with the values bound', async () => {
      // GIVEN
      const parameterized = 'SELECT "col1", "col2" FROM "database1"."tableA" WHERE "col1" = ? OR "col2" = ? ORDER BY "col1"';
      const queryId = await submit(['--query', parameterized, '--param', '2', '--param', "'alpha'", '--callback-url', world.receiver.url('/cli/parameters')]);
      // WHEN
      const waited = await cli(['wait', queryId, '--max-interval', '0.2']);
      const result = await cli(['result', queryId]);
      // THEN
      expect(waited.code).toBe(0);
      const executionArn = executionOf(queryId)?.executionArn ?? '';
      expect(world.twin.queryOf(executionArn)).toMatchObject({ ExecutionParameters: ['2', "'alpha'"] });
      const direct = await world.twin.athena.directAnswer('SELECT "col1", "col2" FROM "database1"."tableA" WHERE "col1" = 2 OR "col2" = \'alpha\' ORDER BY "col1"');
      expect(parseCsv(result.stdout)).toEqual([direct.columns, ...direct.rows]);
      expect(direct.rows).toHaveLength(2);
    });
  });

  describe('a query that fails', () => {
    it('waits until FAILED: exit 3, with Athena\'s reason', async () => {
      // GIVEN
      const queryId = await submit(['--query', 'SELECT "colx" FROM "database1"."tableA"', '--callback-url', world.receiver.url('/cli/fails')]);
      // WHEN
      const run = await cli(['wait', queryId, '--max-interval', '0.2', '--json']);
      // THEN
      expect(run.code).toBe(3);
      expect(JSON.parse(run.stdout)).toMatchObject({ queryId, status: 'FAILED', stateChangeReason: expect.stringContaining('colx') });
    });
  });

  describe('cancelling a running query', () => {
    let queryId: string;
    let cancelled: CliRun;
    let waited: CliRun;

    beforeAll(async () => {
      queryId = await submit(['--query', `SELECT count(*) AS n FROM "database1"."tableA" ${LONG}`, '--callback-url', world.receiver.url('/cli/cancelled')]);
      const executionArn = executionOf(queryId)?.executionArn ?? '';
      // Cancel once Athena runs it (its query id is in the history): the CANCELLING path.
      await within(60_000, 'the long query to start', (async () => {
        while (world.twin.queryOf(executionArn)?.Status.State !== 'RUNNING') await new Promise((resolve) => setTimeout(resolve, 20));
      })());
      cancelled = await cli(['cancel', queryId]);
      waited = await cli(['wait', queryId, '--max-interval', '0.2']);
      await finished(world, executionArn);
    });

    it('prints CANCELLING: Athena was asked to stop the query', () => {
      // THEN
      expect(cancelled).toMatchObject({ code: 0, stdout: `${queryId} CANCELLING\n` });
    });

    it('waits until CANCELLED: exit 3', () => {
      // THEN
      expect(waited.code).toBe(3);
      expect(waited.stdout).toMatch(/status: +CANCELLED/);
    });

    it('leaves the caller a CANCELLED callback', async () => {
      // WHEN
      await within(60_000, 'the CANCELLED callback', world.receiver.waitFor((d) => d.path === '/cli/cancelled' && d.acknowledged));
      // THEN
      expect((acknowledged('/cli/cancelled')?.payload as { State: { State: string } }).State.State).toBe('CANCELLED');
    });

    it('exits 1 naming 409 when asked for the result of a query that did not succeed', async () => {
      // WHEN
      const run = await cli(['result', queryId, '--output', path.join(scratch, 'never.csv')]);
      // THEN
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`^async-athena-query: GET /live/queries/${queryId}/result answered 409: `));
      expect(fs.existsSync(path.join(scratch, 'never.csv'))).toBe(false);
    });
  });

  describe('errors', () => {
    it('exits 1 naming 404 for an unknown query id', async () => {
      // WHEN
      const run = await cli(['status', 'no-such-query']);
      // THEN
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^async-athena-query: GET \/live\/queries\/no-such-query answered 404: /);
    });

    it('exits 1 naming 400 and the rule for a malformed query id', async () => {
      // WHEN
      const run = await cli(['status', 'not*valid']);
      // THEN
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/answered 400: /);
    });

    it('exits 1 naming 400 and the field for a body the API refuses, sending nothing to Step Functions', async () => {
      // GIVEN
      const executions = world.twin.stateMachine.executions.length;
      // WHEN
      const run = await cli(['submit', '--query', SAMPLE_QUERY, '--callback-url', 'http://hooks.example.com/athena?token=secret']);
      // THEN
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^async-athena-query: POST \/live\/queries answered 400: Invalid request body: .*CallbackUrl/);
      expect(run.stderr).not.toContain('secret');
      expect(world.twin.stateMachine.executions.length).toBe(executions);
    });
  });
});
