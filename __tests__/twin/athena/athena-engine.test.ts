/** The local Athena on DuckDB. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DuckDBPreparedStatement } from '@duckdb/node-api';
import { AthenaEngine, AthenaServiceError, type QueryState } from '../../../twin/athena/athena-engine';
import { VirtualClock } from '../../../twin/clock/twin-clock';

const SAMPLE = path.join(__dirname, '..', '..', '..', 'data');
const written = new Map<string, string>();
let engine: AthenaEngine;

beforeAll(async () => {
  engine = await AthenaEngine.create({
    workGroups: ['primary'],
    dataDirectories: [SAMPLE],
    activeQueryQuota: 2,
    writeResult: async (bucket, key, body) => {
      written.set(`s3://${bucket}/${key}`, body);
    },
  });
});

afterAll(async () => {
  await engine.close();
});

const start = (query: string, token?: string) =>
  engine.startQueryExecution({ QueryString: query, WorkGroup: 'primary', ClientRequestToken: token, ResultConfiguration: { OutputLocation: 's3://results/prefix/' } });

describe('Class: AthenaEngine', () => {
  it('moves a query through QUEUED and RUNNING to SUCCEEDED and writes <OutputLocation><id>.csv', async () => {
    // GIVEN
    const states: QueryState[] = [];
    const stop = engine.onStateChange((q) => states.push(q.Status.State));

    // WHEN
    const { QueryExecutionId: id } = start('SELECT "col1" FROM "database1"."tableA" ORDER BY col1 LIMIT 2');
    const done = await engine.waitForQueryExecution(id);
    stop();

    // THEN
    expect(states).toEqual(['QUEUED', 'RUNNING', 'SUCCEEDED']);
    expect(done.ResultConfiguration.OutputLocation).toBe(`s3://results/prefix/${id}.csv`);
    expect(written.get(done.ResultConfiguration.OutputLocation)).toBe('"col1"\n"1"\n"2"\n');
    expect(done.Statistics?.DataScannedInBytes).toBeGreaterThan(0);
  });

  it('returns the same query for the same ClientRequestToken', async () => {
    // GIVEN
    const token = 't'.repeat(64);
    const first = start('SELECT 1', token);

    // WHEN
    const again = start('SELECT 1', token);

    // THEN
    expect(again).toEqual(first);
    await engine.waitForQueryExecution(first.QueryExecutionId);
  });

  it('refuses a reused ClientRequestToken with another query', async () => {
    // GIVEN
    const token = 'u'.repeat(64);
    await engine.waitForQueryExecution(start('SELECT 1', token).QueryExecutionId);

    // WHEN / THEN
    expect(() => start('SELECT 2', token)).toThrow(new AthenaServiceError('InvalidRequestException', 'Idempotent parameters do not match', 400));
  });

  it('throws TooManyRequestsException beyond the active-query quota', async () => {
    // GIVEN two long queries occupy the quota
    const busy = [start('SELECT count(*) FROM range(1000000000000)'), start('SELECT count(*) FROM range(1000000000000)')];

    // WHEN
    const third = (): unknown => start('SELECT 1');

    // THEN
    expect(third).toThrow(expect.objectContaining({ name: 'TooManyRequestsException' }));
    busy.forEach((b) => engine.stopQueryExecution(b.QueryExecutionId));
    const ended = await Promise.all(busy.map((b) => engine.waitForQueryExecution(b.QueryExecutionId)));
    expect(ended.map((q) => q.Status.State)).toEqual(['CANCELLED', 'CANCELLED']);
  });

  it('cancels a query stopped just after DuckDB was asked to run it, before its worker began (an interrupt then is cleared)', async () => {
    // GIVEN a stop that lands right after the engine hands the statement to DuckDB
    let id = '';
    const run = DuckDBPreparedStatement.prototype.runAndReadAll;
    const spy = jest.spyOn(DuckDBPreparedStatement.prototype, 'runAndReadAll').mockImplementationOnce(function (this: DuckDBPreparedStatement) {
      const running = run.call(this);
      engine.stopQueryExecution(id);
      return running;
    });
    id = start('SELECT count(*) FROM range(1000000000000)').QueryExecutionId;

    // WHEN
    const ended = await engine.waitForQueryExecution(id);
    spy.mockRestore();

    // THEN
    expect(ended.Status.State).toBe('CANCELLED');
  });

  it.each([
    ['a syntax error', 'SELEC 1', /syntax error/],
    ['two statements', 'SELECT 1; SELECT 2', /Only one sql statement is allowed/],
    ['a statement that is not a query', 'CREATE TABLE database1.t AS SELECT 1', /Insufficient permissions/],
    ["a read of the host's files", "SELECT * FROM read_csv('/etc/passwd')", /disabled by configuration/],
    ['a write to the host', "COPY (SELECT 1) TO '/tmp/twin-should-not-exist.csv'", /Insufficient permissions|disabled by configuration/],
  ])('fails %s with the reason in StateChangeReason', async (_name, query, reason) => {
    // WHEN
    const done = await engine.waitForQueryExecution(start(query).QueryExecutionId);

    // THEN
    expect(done.Status.State).toBe('FAILED');
    expect(done.Status.StateChangeReason).toMatch(reason);
  });

  it('keeps each query RUNNING for the duration a timing function gives it', async () => {
    // GIVEN durations chosen by query text
    const asked: string[] = [];
    const timed = await AthenaEngine.create({
      workGroups: ['primary'],
      writeResult: async () => undefined,
      timing: {
        minimumRunningMs: (q) => {
          asked.push(q.Query);
          return q.Query.includes('slow') ? 120 : 0;
        },
      },
    });
    const run = (query: string) =>
      timed.waitForQueryExecution(timed.startQueryExecution({ QueryString: query, WorkGroup: 'primary', ResultConfiguration: { OutputLocation: 's3://results/prefix/' } }).QueryExecutionId);

    // WHEN
    const [slow, quick] = await Promise.all([run('SELECT 1 -- slow'), run('SELECT 2')]);
    await timed.close();

    // THEN the slow query ran at least its duration; the function saw each query
    expect(asked.sort()).toEqual(['SELECT 1 -- slow', 'SELECT 2']);
    expect([slow.Status.State, quick.Status.State]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(slow.Statistics!.TotalExecutionTimeInMillis).toBeGreaterThanOrEqual(119);
  });

  it('cancels at once a query stopped during its minimum RUNNING time, as Athena stops a query without waiting for it', async () => {
    // GIVEN a query that would stay RUNNING ten minutes of twin time, on a clock that moves only when told
    const clock = new VirtualClock({ autoAdvance: false });
    const timed = await AthenaEngine.create({ workGroups: ['primary'], writeResult: async () => undefined, clock, timing: { minimumRunningMs: 600_000 } });
    const { QueryExecutionId: id } = timed.startQueryExecution({ QueryString: 'SELECT 1', WorkGroup: 'primary', ResultConfiguration: { OutputLocation: 's3://results/prefix/' } });
    await clock.advanceBy(0);
    while (timed.getQueryExecution(id).QueryExecution.Status.State !== 'RUNNING') await new Promise((resolve) => setImmediate(resolve));
    const startedAt = clock.now();

    // WHEN
    timed.stopQueryExecution(id);
    const ended = await timed.waitForQueryExecution(id);
    await timed.close();
    clock.dispose();

    // THEN no twin time passed
    expect(ended.Status.State).toBe('CANCELLED');
    expect(ended.Status.CompletionDateTime).toBe(startedAt);
  });

  it('loads Parquet tables too', async () => {
    // GIVEN a database folder with a Parquet file
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'twin-parquet-'));
    fs.mkdirSync(path.join(dir, 'sales'));
    const parquet = path.join(dir, 'sales', 'orders.parquet');
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    await connection.run(`COPY (SELECT 7 AS id, 'x' AS sku) TO '${parquet}' (FORMAT parquet)`);
    connection.closeSync();
    db.closeSync();

    // WHEN
    const withParquet = await AthenaEngine.create({ workGroups: ['primary'], writeResult: async () => undefined, dataDirectories: [dir] });
    const answer = await withParquet.directAnswer('SELECT * FROM sales.orders');
    await withParquet.close();
    fs.rmSync(dir, { recursive: true, force: true });

    // THEN
    expect(answer).toEqual({ columns: ['id', 'sku'], rows: [['7', 'x']] });
  });

  it('binds ExecutionParameters to the placeholders as values, never as SQL', async () => {
    // WHEN
    const { QueryExecutionId: id } = engine.startQueryExecution({
      QueryString: 'SELECT "col1" FROM "database1"."tableA" WHERE "col2" = ? OR "col1" = ? OR "col2" = ? ORDER BY "col1"',
      ExecutionParameters: ["'comma, inside'", '1', "'x'' OR 1=1 --'"],
      ResultConfiguration: { OutputLocation: 's3://results/prefix/' },
    });
    const done = await engine.waitForQueryExecution(id);

    // THEN
    expect(done.Status.State).toBe('SUCCEEDED');
    expect(written.get(done.ResultConfiguration.OutputLocation)).toBe('"col1"\n"1"\n"4"\n');
  });

  it.each([
    ['too few values', 'SELECT ? + ?', ['1'], 'Incorrect number of parameters: expected 2 but found 1'],
    ['a value without placeholders', 'SELECT 1', ['1'], 'Incorrect number of parameters: expected 0 but found 1'],
    ['a value that is no literal', 'SELECT ?', ['alpha'], 'ExecutionParameters[0] must be a SQL literal'],
  ])('fails a query with %s, with the reason', async (_name, query, parameters, reason) => {
    // WHEN
    const { QueryExecutionId: id } = engine.startQueryExecution({ QueryString: query, ExecutionParameters: parameters, ResultConfiguration: { OutputLocation: 's3://results/prefix/' } });
    const done = await engine.waitForQueryExecution(id);

    // THEN
    expect(done.Status).toMatchObject({ State: 'FAILED', StateChangeReason: expect.stringContaining(reason) });
  });

  it('refuses an empty list of ExecutionParameters, as the API does', () => {
    expect(() => engine.startQueryExecution({ QueryString: 'SELECT 1', ExecutionParameters: [], ResultConfiguration: { OutputLocation: 's3://results/prefix/' } })).toThrow(
      expect.objectContaining({ name: 'InvalidRequestException' }),
    );
  });

  it('reuses the newest result of the same query and parameters when asked, and says so', async () => {
    // GIVEN
    const run = async (parameters: string[], reuse: boolean) => {
      const { QueryExecutionId: id } = engine.startQueryExecution({
        QueryString: 'SELECT ? AS v',
        ExecutionParameters: parameters,
        ResultConfiguration: { OutputLocation: 's3://results/prefix/' },
        ResultReuseConfiguration: { ResultReuseByAgeConfiguration: reuse ? { Enabled: true, MaxAgeInMinutes: 10 } : { Enabled: false } },
      });
      return engine.waitForQueryExecution(id);
    };
    const original = await run(['7'], false);

    // WHEN
    const reused = await run(['7'], true);
    const otherValue = await run(['8'], true);

    // THEN
    expect(original.Statistics?.ResultReuseInformation).toEqual({ ReusedPreviousResult: false });
    expect(reused.Statistics?.ResultReuseInformation).toEqual({ ReusedPreviousResult: true });
    expect(reused.ResultConfiguration.OutputLocation).toBe(original.ResultConfiguration.OutputLocation);
    expect(otherValue.Statistics?.ResultReuseInformation).toEqual({ ReusedPreviousResult: false });
  });
});
