/**
 * The sample query end to end through the twin of the synthesized stack: a SigV4-signed POST to the API, the bundled
 * query API function, the state machine, Athena on DuckDB, the bundled callbacker, the presigned URL and the download.
 */
import { TRANSITIONS_PER_SUCCESSFUL_QUERY } from '../../constructs/builders/asl';
import { parseCsv } from '../../twin/athena/athena-csv';
import { countTransitions, type ExecutionRecord } from '../../twin/step-functions/state-machine-runner';
import type { ReceivedDelivery } from '../../twin/receiver/webhook-receiver';
import { finished, SAMPLE_QUERY, startWorld, within, type World } from './harness';

interface SucceededPayload {
  State: { State: string; SubmissionDateTime: number; CompletionDateTime: number };
  QueryResult: { PresignedUrl: string; ExpiredIn: number };
  QueryExecutionId: string;
  ExecutionArn: string;
}

let world: World;
let response: { status: number; json: unknown };
let execution: ExecutionRecord;
let delivery: ReceivedDelivery;
let payload: SucceededPayload;

beforeAll(async () => {
  world = await startWorld();
  const sent = await world.post({ Query: SAMPLE_QUERY, CallbackUrl: world.receiver.url('/hook') });
  response = { status: sent.status, json: sent.json };
  const { executionArn } = sent.json as { executionArn: string };
  execution = await finished(world, executionArn);
  delivery = await within(60_000, 'callback', world.receiver.waitFor((d) => d.acknowledged));
  payload = delivery.payload as SucceededPayload;
});

afterAll(async () => {
  await world?.close();
});

describe('e2e: happy path', () => {
  it("answers the POST with the seed's fields, the execution ARN and its start date, and the query id", () => {
    // GIVEN a signed POST /queries with the sample query (beforeAll)
    // THEN
    expect(response.status).toBe(200);
    expect(Object.keys(response.json as object)).toEqual(['executionArn', 'startDate', 'queryId']);
    const { executionArn, startDate, queryId } = response.json as { executionArn: string; startDate: number; queryId: string };
    expect(executionArn).toMatch(/^arn:aws:states:us-east-1:123456789012:execution:async-athena-queries:[0-9a-f-]{36}$/);
    expect(executionArn.endsWith(`:${queryId}`)).toBe(true);
    expect(Math.abs(startDate * 1000 - execution.startDate.getTime())).toBeLessThan(1000);
  });

  it('runs the execution to success with the body as its input, result reuse off', () => {
    // THEN
    expect(execution.status).toBe('SUCCEEDED');
    expect(execution.input).toEqual({
      Query: SAMPLE_QUERY,
      CallbackUrl: world.receiver.url('/hook'),
      ResultReuseConfiguration: { ResultReuseByAgeConfiguration: { Enabled: false } },
    });
  });

  it('delivers exactly one callback, signed with the stack\'s signing secret', () => {
    // THEN
    expect(world.receiver.deliveries).toHaveLength(1);
    expect(delivery.signatureVerified).toBe(true);
    expect(delivery.headers['content-type']).toBe('application/json');
  });

  it('reports SUCCEEDED with the query id, the execution ARN and a presigned result URL', () => {
    // THEN
    expect(payload.State.State).toBe('SUCCEEDED');
    expect(payload.ExecutionArn).toBe(execution.executionArn);
    expect(payload.QueryExecutionId).toBe(world.twin.queryOf(execution.executionArn)?.QueryExecutionId);
    expect(payload.QueryResult.ExpiredIn).toBeGreaterThan(3500);
    expect(payload.QueryResult.ExpiredIn).toBeLessThanOrEqual(3600);
  });

  it('downloads, through the presigned URL, the rows DuckDB answers directly', async () => {
    // WHEN
    const download = await fetch(payload.QueryResult.PresignedUrl);
    const rows = parseCsv(await download.text());

    // THEN
    expect(download.status).toBe(200);
    const direct = await world.twin.athena.directAnswer(SAMPLE_QUERY);
    expect(rows[0]).toEqual(direct.columns);
    expect(rows.slice(1)).toEqual(direct.rows);
    expect(rows.slice(1)).toHaveLength(10);
  });

  it('presigns with the presigner role\'s session: the URL is signed and useless without its signature', async () => {
    // GIVEN
    const signed = new URL(payload.QueryResult.PresignedUrl);
    const unsigned = new URL(signed.pathname, signed.origin);
    const tampered = new URL(signed);
    tampered.searchParams.set('X-Amz-Expires', '604800');

    // WHEN
    const [plain, changed] = await Promise.all([fetch(unsigned), fetch(tampered)]);

    // THEN
    expect(signed.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(signed.searchParams.get('X-Amz-Credential')).toMatch(/^ASIA/);
    expect(signed.searchParams.get('X-Amz-Security-Token')).not.toBeNull();
    expect(plain.status).toBe(403);
    expect(changed.status).toBe(403);
  });

  it(`takes exactly TRANSITIONS_PER_SUCCESSFUL_QUERY (${TRANSITIONS_PER_SUCCESSFUL_QUERY}) state transitions, counted from the event log`, () => {
    // THEN
    const transitions = countTransitions(execution.events);
    process.stdout.write(`e2e happy path: ${transitions} state transitions per successful query (documented: ${TRANSITIONS_PER_SUCCESSFUL_QUERY})\n`);
    expect(transitions).toBe(TRANSITIONS_PER_SUCCESSFUL_QUERY);
  });

  it('keeps every state payload within Step Functions\' 256 KiB limit', () => {
    // THEN
    expect(execution.payloadLimitViolations).toEqual([]);
  });

  it('accepts the same request on the /invocation alias', async () => {
    // WHEN
    const sent = await world.post({ Query: SAMPLE_QUERY, CallbackUrl: world.receiver.url('/alias') }, { route: '/invocation' });
    const record = await finished(world, (sent.json as { executionArn: string }).executionArn);

    // THEN
    expect(sent.status).toBe(200);
    expect(record.status).toBe('SUCCEEDED');
    await within(60_000, 'alias callback', world.receiver.waitFor((d) => d.path === '/alias' && d.acknowledged));
  });
});
