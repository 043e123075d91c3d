/**
 * Queries that do not succeed still end in exactly one callback, with the state and the reason: a SQL error
 * (FAILED), a statement this stack may not run (FAILED), a cancelled query (CANCELLED), and a start that Athena keeps
 * throttling until the retries run out (FAILED).
 */
import { DEFAULT_ATHENA_THROTTLE_RETRY } from '../../constructs/builders/asl';
import { countTransitions, type ExecutionRecord } from '../../twin/step-functions/state-machine-runner';
import type { ReceivedDelivery } from '../../twin/receiver/webhook-receiver';
import { finished, startWorld, within, type World } from './harness';

interface OutcomePayload {
  State: { State: string; StateChangeReason?: string; SubmissionDateTime: number; CompletionDateTime: number };
  QueryResult?: unknown;
  QueryExecutionId?: string;
  ExecutionArn: string;
}

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.close();
});

async function outcomeOf(target: World, query: string, path: string): Promise<{ record: ExecutionRecord; delivery: ReceivedDelivery; payload: OutcomePayload }> {
  const executionArn = await target.submit(query, target.receiver.url(path));
  const record = await finished(target, executionArn);
  const delivery = await within(60_000, `callback at ${path}`, target.receiver.waitFor((d) => d.path === path && d.acknowledged));
  return { record, delivery, payload: delivery.payload as OutcomePayload };
}

describe('e2e: query outcomes other than success', () => {
  it('delivers FAILED with the engine\'s reason for a SQL error, and no result URL', async () => {
    // WHEN
    const { record, payload } = await outcomeOf(world, 'SELEC "col1" FROM "database1"."tableA"', '/sql-error');

    // THEN
    expect(record.status).toBe('SUCCEEDED');
    expect(payload.State.State).toBe('FAILED');
    expect(payload.State.StateChangeReason).toMatch(/syntax error at or near "SELEC"/);
    expect(payload.QueryResult).toBeUndefined();
    expect(payload.QueryExecutionId).toBe(world.twin.queryOf(record.executionArn)?.QueryExecutionId);
  });

  it('delivers FAILED naming the missing table', async () => {
    // WHEN
    const { payload } = await outcomeOf(world, 'SELECT * FROM "database1"."nope"', '/missing-table');

    // THEN
    expect(payload.State.State).toBe('FAILED');
    expect(payload.State.StateChangeReason).toMatch(/Table with name nope does not exist/);
  });

  it('delivers FAILED for a statement the state machine role may not run', async () => {
    // WHEN
    const { payload } = await outcomeOf(world, 'DROP VIEW "database1"."tableA"', '/ddl');

    // THEN
    expect(payload.State.State).toBe('FAILED');
    expect(payload.State.StateChangeReason).toMatch(/Insufficient permissions/);
    expect(await world.twin.athena.directAnswer('SELECT count(*) AS n FROM "database1"."tableA"')).toEqual({ columns: ['n'], rows: [['20']] });
  });

  it('takes one more transition for a failed query (WrapQueryFailure)', async () => {
    // WHEN
    const { record } = await outcomeOf(world, 'SELECT nope FROM "database1"."tableA"', '/transitions');

    // THEN
    expect(record.events.filter((e) => e.type === 'StateEntered').map((e) => e.state?.name)).toEqual(['HasExecutionParameters', 'StartQuery', 'WrapQueryFailure', 'DeliverCallback']);
    expect(countTransitions(record.events)).toBe(4);
  });

  it('delivers CANCELLED for a query stopped while it runs', async () => {
    // GIVEN a query that would run for minutes
    const executionArn = await world.submit('SELECT count(*) FROM range(1000000000000)', world.receiver.url('/cancelled'));
    const running = await within(
      60_000,
      'the query to run',
      new Promise<string>((resolve) => {
        const check = (): void => {
          const query = world.twin.queryOf(executionArn);
          if (query?.Status.State === 'RUNNING') resolve(query.QueryExecutionId);
          else setTimeout(check, 5);
        };
        check();
      }),
    );

    // WHEN
    world.twin.athena.stopQueryExecution(running);
    const record = await finished(world, executionArn);
    const delivery = await within(60_000, 'callback', world.receiver.waitFor((d) => d.path === '/cancelled' && d.acknowledged));

    // THEN
    expect(record.status).toBe('SUCCEEDED');
    expect((delivery.payload as OutcomePayload).State.State).toBe('CANCELLED');
    expect((delivery.payload as OutcomePayload).QueryExecutionId).toBe(running);
  });
});

describe('e2e: Athena throttling beyond the retries', () => {
  let throttled: World;

  beforeAll(async () => {
    throttled = await startWorld({ athena: { throttle: () => true } });
  });

  afterAll(async () => {
    await throttled?.close();
  });

  it('delivers FAILED naming TooManyRequestsException once every retry was throttled', async () => {
    // WHEN
    const { record, payload } = await outcomeOf(throttled, 'SELECT 1', '/throttled');

    // THEN
    const retries = record.events.filter((e) => e.type === 'StateRetried' && e.state?.name === 'StartQuery').length;
    expect(retries).toBe(DEFAULT_ATHENA_THROTTLE_RETRY.maxAttempts);
    expect(payload.State.State).toBe('FAILED');
    expect(payload.State.StateChangeReason).toMatch(/^Athena\.TooManyRequestsException: You have exceeded the limit/);
    expect(throttled.twin.athena.throttledStarts).toBe(DEFAULT_ATHENA_THROTTLE_RETRY.maxAttempts + 1);
  });
});

describe("e2e: Athena's StartQueryExecution rate", () => {
  let rateLimited: World;
  let starts = 0;

  beforeAll(async () => {
    // The first three calls are over Athena's API rate (ThrottlingException, "Rate exceeded"), then the rate frees.
    rateLimited = await startWorld({ athena: { throttle: () => (++starts <= 3 ? 'rate' : false) } });
  });

  afterAll(async () => {
    await rateLimited?.close();
  });

  it('retries a start refused for the call rate with the quota backoff, and delivers SUCCEEDED', async () => {
    // WHEN
    const { record, payload } = await outcomeOf(rateLimited, 'SELECT "col1" FROM "database1"."tableA" limit 1', '/rate');

    // THEN
    const retries = record.events.filter((e) => e.type === 'StateRetried' && e.state?.name === 'StartQuery').length;
    expect(retries).toBe(3);
    expect(payload.State.State).toBe('SUCCEEDED');
    expect(rateLimited.twin.athena.throttledStarts).toBe(3);
  });
});
