/**
 * `POST /queries` beyond the seed's contract, through the twin of the synthesized stack: idempotent submits
 * (`Idempotency-Key`), execution parameters bound in DuckDB, Athena result reuse, and the largest query the API
 * accepts, carried through success, failure and the dead-letter queue without any state exceeding Step Functions'
 * 256 KiB payload quota.
 */
import { executionInputBytes, executionInputOf, MAX_EXECUTION_INPUT_BYTES, MAX_QUERY_CHARACTERS, type QueryRequest } from '../../constructs/builders/api-contract';
import { QUERY_EXECUTION_FIELDS_KEPT, STATE_NAMES } from '../../constructs/builders/asl';
import { webhookIdFor } from '../../handler/webhook-id';
import { redrive } from '../../redrive/redrive';
import { parseCsv } from '../../twin/athena/athena-csv';
import type { ApiResponse } from '../../twin/api-gateway/signed-client';
import type { ExecutionRecord } from '../../twin/step-functions/state-machine-runner';
import { twinRedrive } from '../support/twin-redrive';
import { finished, startWorld, virtualClock, within, type World } from './harness';

const QUERY = 'SELECT "col1", "col2" FROM "database1"."tableA" ORDER BY "col1"';

interface Answer {
  executionArn: string;
  startDate: number;
  queryId: string;
}

interface CallbackPayload {
  State: { State: string; StateChangeReason?: string };
  QueryResult?: { PresignedUrl: string };
  QueryExecutionId?: string;
  Statistics?: { ResultReuseInformation?: { ReusedPreviousResult: boolean } };
}

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.close();
});

function post(body: unknown, key?: string, route = '/queries'): Promise<ApiResponse> {
  return world.call('POST', route, { body, headers: key === undefined ? {} : { 'Idempotency-Key': key } });
}

async function callbackFor(path: string): Promise<CallbackPayload> {
  const delivery = await within(60_000, `callback to ${path}`, world.receiver.waitFor((d) => d.path === path && d.acknowledged));
  return delivery.payload as CallbackPayload;
}

async function rowsOf(payload: CallbackPayload): Promise<ReturnType<typeof parseCsv>> {
  const download = await fetch(payload.QueryResult?.PresignedUrl ?? '');
  expect(download.status).toBe(200);
  return parseCsv(await download.text());
}

const executionsNamed = (name: string): ExecutionRecord[] => world.twin.stateMachine.executions.filter((e) => e.name === name);

describe('e2e: idempotent submits (Idempotency-Key)', () => {
  const body = () => ({ Query: QUERY, CallbackUrl: world.receiver.url('/idempotent') });
  let first: ApiResponse;

  beforeAll(async () => {
    first = await post(body(), 'order-42');
  });

  it('names the execution after the key', () => {
    // THEN
    expect(first.status).toBe(200);
    expect((first.json as Answer).queryId).toBe('order-42');
    expect((first.json as Answer).executionArn).toMatch(/:execution:async-athena-queries:order-42$/);
  });

  it('answers a retried POST with the same key and body with the same execution, starting nothing', async () => {
    // WHEN
    const retried = await post(body(), 'order-42');

    // THEN
    expect(retried.status).toBe(200);
    expect(retried.json).toEqual(first.json);
    expect(executionsNamed('order-42')).toHaveLength(1);
  });

  it('answers the same key with another body 409, saying so, starting nothing', async () => {
    // WHEN
    const other = await post({ ...body(), Query: `${QUERY} LIMIT 1` }, 'order-42');

    // THEN
    expect(other.status).toBe(409);
    expect(other.json).toMatchObject({
      queryId: 'order-42',
      executionArn: (first.json as Answer).executionArn,
      message: expect.stringContaining("Idempotency-Key 'order-42' was already used for another request"),
    });
    expect(executionsNamed('order-42')).toHaveLength(1);
  });

  it('still answers the same execution after it closed, and still 409 for another body', async () => {
    // GIVEN the execution ended and its callback was delivered
    const record = await finished(world, (first.json as Answer).executionArn);
    await callbackFor('/idempotent');

    // WHEN
    const again = await post(body(), 'order-42');
    const other = await post({ ...body(), ResultReuseMaxAgeMinutes: 5 }, 'order-42');

    // THEN
    expect(record.status).toBe('SUCCEEDED');
    expect(again.status).toBe(200);
    expect(again.json).toEqual(first.json);
    expect(other.status).toBe(409);
    expect(other.json).toMatchObject({ message: expect.stringContaining('(query order-42, SUCCEEDED)') });
    expect(executionsNamed('order-42')).toHaveLength(1);
    expect(world.receiver.deliveries.filter((d) => d.webhookId === webhookIdFor(record.executionArn))).toHaveLength(1);
  });

  it("takes the key on the seed's POST /invocation too", async () => {
    // WHEN
    const seeded = await post(body(), 'order-42', '/invocation');

    // THEN
    expect(seeded.json).toEqual(first.json);
  });

  it('starts one execution per POST without a key, as before', async () => {
    // WHEN
    const [a, b] = [await post(body()), await post(body())];

    // THEN
    expect((a.json as Answer).executionArn).not.toBe((b.json as Answer).executionArn);
    await Promise.all([finished(world, (a.json as Answer).executionArn), finished(world, (b.json as Answer).executionArn)]);
  });
});

describe('e2e: execution parameters', () => {
  const parameterized = 'SELECT "col1", "col2" FROM "database1"."tableA" WHERE "col1" = ? OR "col2" = ? ORDER BY "col1"';

  it('binds each value to its placeholder in DuckDB, through StartParameterizedQuery', async () => {
    // GIVEN
    const parameters = ['2', "'comma, inside'"];

    // WHEN
    const response = await post({ Query: parameterized, CallbackUrl: world.receiver.url('/parameters'), ExecutionParameters: parameters });
    const record = await finished(world, (response.json as Answer).executionArn);
    const payload = await callbackFor('/parameters');

    // THEN
    expect(world.twin.queryOf(record.executionArn)).toMatchObject({ Query: parameterized, ExecutionParameters: parameters });
    expect(record.events.filter((e) => e.type === 'StateEntered').map((e) => e.state?.name)).toEqual([STATE_NAMES.hasExecutionParameters, STATE_NAMES.startParameterizedQuery, STATE_NAMES.deliverCallback]);
    const direct = await world.twin.athena.directAnswer(`SELECT "col1", "col2" FROM "database1"."tableA" WHERE "col1" = 2 OR "col2" = 'comma, inside' ORDER BY "col1"`);
    expect(direct.rows).toHaveLength(2);
    expect(await rowsOf(payload)).toEqual([direct.columns, ...direct.rows]);
  });

  it("delivers FAILED with Athena's reason when the values do not match the placeholders", async () => {
    // WHEN
    const response = await post({ Query: parameterized, CallbackUrl: world.receiver.url('/too-few'), ExecutionParameters: ['2'] });
    const payload = await callbackFor('/too-few');

    // THEN
    expect(response.status).toBe(200);
    expect(payload.State).toMatchObject({ State: 'FAILED', StateChangeReason: expect.stringContaining('Incorrect number of parameters: expected 2 but found 1') });
  });
});

describe('e2e: result reuse (ResultReuseMaxAgeMinutes)', () => {
  const reused = 'SELECT "col2" FROM "database1"."tableA" WHERE "col1" > 2 ORDER BY "col2"';
  let original: CallbackPayload;
  let originalLocation: string | undefined;

  beforeAll(async () => {
    const response = await post({ Query: reused, CallbackUrl: world.receiver.url('/reuse-0') });
    original = await callbackFor('/reuse-0');
    originalLocation = world.twin.queryOf((response.json as Answer).executionArn)?.ResultConfiguration.OutputLocation;
  });

  it("asks Athena to reuse a result of the same query at most that many minutes old, and Athena's answer says it did", async () => {
    // WHEN
    const response = await post({ Query: reused, CallbackUrl: world.receiver.url('/reuse-1'), ResultReuseMaxAgeMinutes: 60 });
    const payload = await callbackFor('/reuse-1');

    // THEN
    const query = world.twin.queryOf((response.json as Answer).executionArn);
    expect(query?.ResultReuseConfiguration).toEqual({ ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: 60 } });
    expect(original.Statistics?.ResultReuseInformation?.ReusedPreviousResult).toBe(false);
    expect(payload.Statistics?.ResultReuseInformation?.ReusedPreviousResult).toBe(true);
    expect(query?.ResultConfiguration.OutputLocation).toBe(originalLocation);
    expect(await rowsOf(payload)).toEqual(await rowsOf(original));
  });

  it('runs the query again with 0 minutes (reuse off)', async () => {
    // WHEN
    const response = await post({ Query: reused, CallbackUrl: world.receiver.url('/reuse-off'), ResultReuseMaxAgeMinutes: 0 });
    const payload = await callbackFor('/reuse-off');

    // THEN
    expect(world.twin.queryOf((response.json as Answer).executionArn)?.ResultReuseConfiguration).toEqual({ ResultReuseByAgeConfiguration: { Enabled: false } });
    expect(payload.Statistics?.ResultReuseInformation?.ReusedPreviousResult).toBe(false);
  });

  it('runs the query again once every earlier result is older than the age given', async () => {
    // GIVEN two hours later
    await virtualClock(world).advanceBy(2 * 60 * 60 * 1000);

    // WHEN
    await post({ Query: reused, CallbackUrl: world.receiver.url('/reuse-stale'), ResultReuseMaxAgeMinutes: 60 });
    const payload = await callbackFor('/reuse-stale');

    // THEN
    expect(payload.Statistics?.ResultReuseInformation?.ReusedPreviousResult).toBe(false);
  });
});

describe('e2e: the largest accepted query', () => {
  /** A query whose execution input is exactly MAX_EXECUTION_INPUT_BYTES with this callback URL: `head`, then a comment. */
  function largest(head: string, callbackUrl: string): QueryRequest {
    const request = { Query: `${head} -- `, CallbackUrl: callbackUrl };
    return { ...request, Query: request.Query + 'x'.repeat(MAX_EXECUTION_INPUT_BYTES - executionInputBytes(request)) };
  }

  async function run(request: QueryRequest): Promise<ExecutionRecord> {
    const response = await post(request);
    expect(response.status).toBe(200);
    return finished(world, (response.json as Answer).executionArn);
  }

  it('fills the execution input to the byte, and is within what Athena and the model accept', () => {
    // WHEN
    const request = largest('SELECT 1 AS one', world.receiver.url('/largest'));

    // THEN
    expect(executionInputBytes(request)).toBe(MAX_EXECUTION_INPUT_BYTES);
    expect(request.Query.length).toBeLessThanOrEqual(MAX_QUERY_CHARACTERS);
    expect(request.Query.length).toBeGreaterThan(240_000);
  });

  it('runs to a delivered SUCCEEDED callback, no state over the payload quota, the query text left behind after StartQuery', async () => {
    // GIVEN
    const request = largest('SELECT count(*) AS n FROM "database1"."tableA"', world.receiver.url('/largest'));

    // WHEN
    const record = await run(request);
    const payload = await callbackFor('/largest');

    // THEN
    expect(record.status).toBe('SUCCEEDED');
    expect(record.payloadLimitViolations).toEqual([]);
    expect(world.twin.queryOf(record.executionArn)?.Query).toBe(request.Query);
    const startQueryOutput = record.events.find((e) => e.type === 'StateExited' && e.state?.name === STATE_NAMES.startQuery)?.state?.output as { QueryOutcome: { QueryExecution: object } };
    expect(Object.keys(startQueryOutput.QueryOutcome.QueryExecution).sort()).toEqual([...QUERY_EXECUTION_FIELDS_KEPT].sort());
    expect(payload.State.State).toBe('SUCCEEDED');
    expect(await rowsOf(payload)).toEqual([['n'], ['20']]);
  });

  it('runs a FAILED one to a delivered FAILED callback, no state over the payload quota', async () => {
    // WHEN
    const record = await run(largest('SELEC 1', world.receiver.url('/largest-failed')));
    const payload = await callbackFor('/largest-failed');

    // THEN
    expect(record.status).toBe('SUCCEEDED');
    expect(record.payloadLimitViolations).toEqual([]);
    expect(payload.State.State).toBe('FAILED');
  });

  it.each([
    ['SUCCEEDED', 'SELECT 2 AS two', '/largest-dead'],
    ['FAILED', 'SELEC 2', '/largest-failed-dead'],
  ])('dead-letters a %s one whose callback is refused, and redrive delivers it', async (state, head, path) => {
    // GIVEN a receiver that refuses, then accepts
    world.receiver.respondWith((delivery, attempt) => (delivery.path === path && attempt === 1 ? { status: 410 } : { status: 204 }));

    // WHEN
    const record = await run(largest(head, world.receiver.url(path)));
    const aws = twinRedrive(world.twin);
    const report = await redrive(aws.deployment, aws.services).finally(() => aws.close());

    // THEN
    expect(record).toMatchObject({ status: 'FAILED', error: 'CallbackDeliveryFailed', payloadLimitViolations: [] });
    expect(report.delivered).toEqual([record.executionArn]);
    expect((await callbackFor(path)).State.State).toBe(state);
    world.receiver.respondWith(() => ({ status: 204 }));
  });

  it('refuses one byte more with 413 and the arithmetic, starting nothing', async () => {
    // GIVEN
    const request = largest('SELECT 1', world.receiver.url('/too-large'));
    const before = world.twin.stateMachine.executions.length;

    // WHEN
    const response = await post({ ...request, Query: `${request.Query}x` });

    // THEN
    expect(response.status).toBe(413);
    expect(response.json).toMatchObject({ allowedBytes: MAX_EXECUTION_INPUT_BYTES, receivedBytes: MAX_EXECUTION_INPUT_BYTES + 1, message: expect.stringMatching(/^The execution input of this request would be \d+ bytes of UTF-8, and at most \d+ are allowed/) });
    expect(world.twin.stateMachine.executions).toHaveLength(before);
  });

  it('refuses with 413 a query of allowed length whose multi-byte characters exceed the bytes', async () => {
    // GIVEN as many characters as the model allows, 2 bytes each in UTF-8
    const request = { Query: `SELECT '${'é'.repeat(MAX_QUERY_CHARACTERS - 9)}'`, CallbackUrl: world.receiver.url('/too-large') };

    // WHEN
    const response = await post(request);

    // THEN
    expect(response.status).toBe(413);
    expect(response.json).toMatchObject({ receivedBytes: Buffer.byteLength(JSON.stringify(executionInputOf(request)), 'utf8') });
  });
});
