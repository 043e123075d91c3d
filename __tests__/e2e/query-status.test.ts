/**
 * `GET /queries/{id}` and `GET /queries/{id}/result` through the twin of the synthesized stack: the query API function
 * (bundled, in the Lambda sandbox) reads Step Functions and Athena as the stack lets it. The twin clock moves only when
 * a test moves it, so each status is read at a twin instant the test chose: Athena's active-query quota is 1, every
 * query spends 2 s QUEUED in Athena, and a query marked LONG runs 10 minutes.
 */
import { CANCELLED_BEFORE_START_REASON } from '../../constructs/builders/asl';
import { webhookIdFor } from '../../handler/webhook-id';
import { parseCsv } from '../../twin/athena/athena-csv';
import type { ApiResponse } from '../../twin/api-gateway/signed-client';
import { VirtualClock } from '../../twin/clock/twin-clock';
import { advanceUntil, startWorld, type World } from './harness';

/** Marks a query that stays RUNNING for 10 minutes of twin time. */
const LONG = '/* long */';
const LONG_QUERY = `SELECT "col1", "col2" FROM "database1"."tableA" ORDER BY "col1" ${LONG}`;
const SHORT_QUERY = 'SELECT "col1" FROM "database1"."tableA" WHERE "col1" < 3 ORDER BY "col1"';

interface StatusBody {
  queryId: string;
  executionArn: string;
  status: string;
  startDate: string;
  stopDate?: string;
  stateChangeReason?: string;
  queryExecutionId?: string;
  statistics?: Record<string, unknown>;
  callback: { status: string; webhookId: string; attempts: number; deliveredAt?: string; lastError?: string };
}

const clock = new VirtualClock({ autoAdvance: false });
let world: World;

beforeAll(async () => {
  world = await startWorld({
    clock,
    athena: { activeQueryQuota: 1, timing: { queuedMs: 2000, minimumRunningMs: (query) => (query.Query.includes(LONG) ? 600_000 : 0) } },
  });
});

afterAll(async () => {
  await world?.close();
});

async function submit(query: string, path: string): Promise<string> {
  const response = await world.post({ Query: query, CallbackUrl: world.receiver.url(path) });
  if (response.status !== 200) throw new Error(`POST answered ${response.status}: ${response.text}`);
  return (response.json as { queryId: string }).queryId;
}

async function status(queryId: string): Promise<StatusBody> {
  const response = await world.call('GET', `/queries/${queryId}`);
  if (response.status !== 200) throw new Error(`GET answered ${response.status}: ${response.text}`);
  return response.json as StatusBody;
}

const delivered = (path: string) => () => world.receiver.deliveries.some((d) => d.path === path && d.acknowledged);
const deliveryTo = (path: string) => world.receiver.deliveries.find((d) => d.path === path && d.acknowledged);

describe('e2e: a query through its lifecycle (GET /queries/{id})', () => {
  let first: string;
  let second: string;

  beforeAll(async () => {
    // A long query takes Athena's only slot; the next one waits for it.
    first = await submit(LONG_QUERY, '/first');
    second = await submit(SHORT_QUERY, '/second');
    await clock.advanceBy(1000);
  });

  it('reports QUEUED while Athena reports the started query QUEUED, with its query execution id', async () => {
    // WHEN
    const answer = await status(first);

    // THEN
    expect(answer).toMatchObject({ queryId: first, status: 'QUEUED', callback: { status: 'pending', attempts: 0 } });
    expect(answer.queryExecutionId).toBe(world.twin.queryOf(answer.executionArn)?.QueryExecutionId);
    expect(answer.stopDate).toBeUndefined();
  });

  it("reports QUEUED, with why, while Athena's active-query quota refuses to start the query", async () => {
    // WHEN
    const answer = await status(second);

    // THEN
    expect(answer.status).toBe('QUEUED');
    expect(answer.queryExecutionId).toBeUndefined();
    expect(answer.stateChangeReason).toMatch(/^Waiting to start: Athena refused StartQueryExecution \d+ times? \(last: Athena\.TooManyRequestsException\); Step Functions retries with backoff\.$/);
  });

  it('reports RUNNING once Athena runs the query, with its start date and no stop date', async () => {
    // GIVEN Athena's 2 s in QUEUED are over
    await clock.advanceBy(2000);

    // WHEN
    const answer = await status(first);

    // THEN
    expect(answer).toMatchObject({ status: 'RUNNING', callback: { status: 'pending', attempts: 0 } });
    expect(answer.startDate).toBe(world.twin.stateMachine.describe(answer.executionArn)?.startDate.toISOString());
    expect(answer.stopDate).toBeUndefined();
  });

  it('reports SUCCEEDED with the statistics and the delivered callback, as the callback itself says', async () => {
    // GIVEN the query ran its 10 minutes and the callback was accepted
    await advanceUntil(clock, 'the first callback', delivered('/first'), 10_000);

    // WHEN
    const answer = await status(first);

    // THEN
    const delivery = deliveryTo('/first');
    const payload = delivery?.payload as { State: { State: string; CompletionDateTime: number }; QueryExecutionId: string };
    expect(answer).toMatchObject({ status: 'SUCCEEDED', queryExecutionId: payload.QueryExecutionId, callback: { status: 'delivered', attempts: 1 } });
    expect(answer.stopDate).toBe(new Date(payload.State.CompletionDateTime).toISOString());
    expect(answer.statistics).toMatchObject({ EngineExecutionTimeInMillis: 600_000, ResultReuseInformation: { ReusedPreviousResult: false } });
    expect(answer.callback.webhookId).toBe(delivery?.webhookId);
    expect(answer.callback.webhookId).toBe(webhookIdFor(answer.executionArn));
    expect(Date.parse(answer.callback.deliveredAt ?? '')).toBeGreaterThanOrEqual(Date.parse(answer.stopDate ?? ''));
  });

  it('starts the waiting query once the slot is free, and reports it SUCCEEDED', async () => {
    // WHEN
    await advanceUntil(clock, 'the second callback', delivered('/second'));
    const answer = await status(second);

    // THEN
    expect(answer).toMatchObject({ status: 'SUCCEEDED', callback: { status: 'delivered' } });
    expect(answer.queryExecutionId).toBe(world.twin.queryOf(answer.executionArn)?.QueryExecutionId);
  });

  it("reports a FAILED query with Athena's reason", async () => {
    // GIVEN
    const failed = await submit('SELECT nope FROM "database1"."tableA"', '/failed');
    await advanceUntil(clock, 'the FAILED callback', delivered('/failed'));

    // WHEN
    const answer = await status(failed);

    // THEN
    expect(answer).toMatchObject({ status: 'FAILED', callback: { status: 'delivered' } });
    expect(answer.stateChangeReason).toMatch(/nope/);
  });

  it('reports a callback the receiver refused as dead-lettered, with the last error, the query still SUCCEEDED', async () => {
    // GIVEN a receiver that answers 410 Gone, at a callback URL with a token in its query string
    world.receiver.respondWith((delivery) => (delivery.path.startsWith('/gone') ? { status: 410 } : { status: 204 }));
    const gone = await submit(SHORT_QUERY, '/gone?token=s3cr3t-t0ken');
    const executionArn = (await status(gone)).executionArn;
    await advanceUntil(clock, 'the dead letter', () => world.twin.stateMachine.describe(executionArn)?.status === 'FAILED');

    // WHEN
    const answer = await status(gone);

    // THEN
    expect(answer).toMatchObject({ status: 'SUCCEEDED', callback: { status: 'dead-lettered', attempts: 1 } });
    expect(answer.callback.lastError).toMatch(/^CallbackRejectedError: Callback receiver https:\/\/127\.0\.0\.1:\d+\/gone\?\.\.\. answered 410 Gone$/);
    expect(JSON.stringify(answer)).not.toMatch(/s3cr3t/);
  });

  it('answers 404 naming the id when no query has it', async () => {
    // WHEN
    const response = await world.call('GET', '/queries/no-such-query');

    // THEN
    expect(response.status).toBe(404);
    expect(response.json).toEqual({ message: expect.stringContaining("'no-such-query'"), queryId: 'no-such-query', requestId: expect.any(String) });
  });

  it('answers 400 naming the path parameter, the rule and the value for a malformed id', async () => {
    // WHEN
    const response = await world.call('GET', '/queries/not.an.id');

    // THEN
    expect(response.status).toBe(400);
    expect((response.json as { message: string }).message).toBe(
      'Invalid request: the query id in the path (/queries/{id}) must be 1 to 80 characters, each a letter, a digit, "_" or "-", got "not.an.id" (9 characters)',
    );
  });

  it('reports a query cancelled before it started as CANCELLED, with the reason the cancellation gives', async () => {
    // GIVEN a query waiting behind a long one, cancelled
    const blocker = await submit(LONG_QUERY, '/blocker');
    const waiting = await submit(SHORT_QUERY, '/never-started');
    await clock.advanceBy(1000);
    expect((await world.call('DELETE', `/queries/${waiting}`)).status).toBe(202);
    await advanceUntil(clock, 'the CANCELLED callback', delivered('/never-started'));

    // WHEN
    const answer = await status(waiting);

    // THEN
    expect(answer).toMatchObject({ status: 'CANCELLED', stateChangeReason: CANCELLED_BEFORE_START_REASON, callback: { status: 'delivered', attempts: 1 } });
    expect(answer.queryExecutionId).toBeUndefined();
    expect((await world.call('DELETE', `/queries/${blocker}`)).status).toBe(202);
    await advanceUntil(clock, 'the blocker to end', delivered('/blocker'));
  });
});

describe('e2e: fresh result links (GET /queries/{id}/result)', () => {
  let succeeded: string;
  let link: ApiResponse;

  beforeAll(async () => {
    succeeded = await submit(LONG_QUERY, '/linked');
    await advanceUntil(clock, 'the linked callback', delivered('/linked'), 10_000);
    link = await world.call('GET', `/queries/${succeeded}/result`);
  });

  it('answers a URL presigned now, with its lifetime, for a SUCCEEDED query', () => {
    // THEN
    expect(link.status).toBe(200);
    const body = link.json as { queryId: string; presignedUrl: string; expiredIn: number };
    expect(Object.keys(body).sort()).toEqual(['expiredIn', 'presignedUrl', 'queryId']);
    expect(body.queryId).toBe(succeeded);
    expect(body.expiredIn).toBeGreaterThan(0);
    expect(body.expiredIn).toBeLessThanOrEqual(3600);
    const signedAt = new URL(body.presignedUrl).searchParams.get('X-Amz-Date') ?? '';
    expect(signedAt).toBe(new Date(clock.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, ''));
  });

  it("links the result object Athena wrote, under the module's output location, signed by the presigner role's session", () => {
    // GIVEN
    const url = new URL((link.json as { presignedUrl: string }).presignedUrl);
    const query = world.twin.queryOf(world.twin.stateMachine.executions.find((e) => e.name === succeeded)?.executionArn ?? '');
    // THEN
    expect(decodeURIComponent(url.pathname)).toBe(`/${world.twin.outputLocation.bucket}/${world.twin.outputLocation.prefix}${query?.QueryExecutionId}.csv`);
    expect(url.searchParams.get('X-Amz-Security-Token')).toEqual(expect.any(String));
  });

  it('downloads, through the link, the rows DuckDB answers directly', async () => {
    // WHEN
    const download = await fetch((link.json as { presignedUrl: string }).presignedUrl);
    const rows = parseCsv(await download.text());

    // THEN
    expect(download.status).toBe(200);
    const direct = await world.twin.athena.directAnswer(LONG_QUERY);
    expect(rows).toEqual([direct.columns, ...direct.rows]);
  });

  it('refuses a link for a query that is not SUCCEEDED: 409 with its state', async () => {
    // GIVEN a query that runs
    const running = await submit(LONG_QUERY, '/still-running');
    await clock.advanceBy(3000);

    // WHEN
    const response = await world.call('GET', `/queries/${running}/result`);

    // THEN
    expect(response.status).toBe(409);
    expect(response.json).toMatchObject({ status: 'RUNNING', queryId: running, message: expect.stringContaining('is RUNNING') });
    expect((await world.call('DELETE', `/queries/${running}`)).status).toBe(202);
    await advanceUntil(clock, 'the cancelled query to end', delivered('/still-running'));
  });

  it("makes no link for a result Athena reports outside the module's output location", async () => {
    // GIVEN a SUCCEEDED query whose result Athena places elsewhere (as a workgroup that enforces its own output
    // location would): the twin's record of it is changed to say so
    const elsewhere = await submit(SHORT_QUERY, '/elsewhere');
    await advanceUntil(clock, 'the elsewhere callback', delivered('/elsewhere'));
    const record = world.twin.queryOf(world.twin.stateMachine.executions.find((e) => e.name === elsewhere)?.executionArn ?? '');
    (record?.ResultConfiguration as { OutputLocation: string }).OutputLocation = 's3://another-bucket/results/other.csv';

    // WHEN
    const response = await world.call('GET', `/queries/${elsewhere}/result`);

    // THEN
    expect(response.status).toBe(500);
    expect(response.json).toMatchObject({ queryId: elsewhere, message: expect.stringMatching(/lies outside this module's output location/) });
    expect(response.text).not.toMatch(/X-Amz-Signature/);
  });

  it('answers 404 for an unknown id and 400 for a malformed one', async () => {
    // WHEN
    const unknown = await world.call('GET', '/queries/no-such-query/result');
    const malformed = await world.call('GET', `/queries/${'x'.repeat(81)}/result`);

    // THEN
    expect(unknown.status).toBe(404);
    expect(malformed.status).toBe(400);
    expect((malformed.json as { message: string }).message).toMatch(/the query id in the path \(\/queries\/\{id\}\) must be 1 to 80 characters.*got "x{60}\.\.\." \(81 characters\)/);
  });
});
