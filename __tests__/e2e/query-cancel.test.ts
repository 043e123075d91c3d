/**
 * `DELETE /queries/{id}` through the twin of the synthesized stack. A running query is stopped in Athena
 * (StopQueryExecution) and its execution delivers the CANCELLED callback as any other outcome; a query not started
 * yet has its execution stopped and the cancellation state machine delivers the CANCELLED callback as that execution
 * (same ExecutionArn, same webhook-id). Redrive takes the cancellation machine's dead letters too. The twin clock moves
 * only when a test moves it; Athena's active-query quota is 1 and a query marked LONG runs 10 minutes.
 */
import { CANCELLED_BEFORE_START_REASON } from '../../constructs/builders/asl';
import { CANCEL_BEFORE_START } from '../../handler/api/query-routes';
import { webhookIdFor } from '../../handler/webhook-id';
import { redrive } from '../../redrive/redrive';
import { VirtualClock } from '../../twin/clock/twin-clock';
import type { ExecutionRecord } from '../../twin/step-functions/state-machine-runner';
import { type TwinRedrive, twinRedrive } from '../support/twin-redrive';
import { advanceUntil, startWorld, type World } from './harness';

const LONG = '/* long */';
const LONG_QUERY = `SELECT count(*) AS n FROM "database1"."tableA" ${LONG}`;
const SHORT_QUERY = 'SELECT "col1" FROM "database1"."tableA" ORDER BY "col1"';

interface CallbackPayload {
  State: { State: string; StateChangeReason?: string; CompletionDateTime: number };
  ExecutionArn: string;
  QueryExecutionId?: string;
  QueryResult?: unknown;
}

const clock = new VirtualClock({ autoAdvance: false });
let world: World;
let aws: TwinRedrive;

beforeAll(async () => {
  world = await startWorld({ clock, athena: { activeQueryQuota: 1, timing: { minimumRunningMs: (query) => (query.Query.includes(LONG) ? 600_000 : 0) } } });
  aws = twinRedrive(world.twin);
});

afterAll(async () => {
  aws?.close();
  await world?.close();
});

/** Submits and returns the query id and execution ARN. */
async function submit(query: string, path: string): Promise<{ queryId: string; executionArn: string }> {
  const response = await world.post({ Query: query, CallbackUrl: world.receiver.url(path) });
  if (response.status !== 200) throw new Error(`POST answered ${response.status}: ${response.text}`);
  return response.json as { queryId: string; executionArn: string };
}

const acknowledged = (path: string) => world.receiver.deliveries.find((d) => d.path === path && d.acknowledged);
const execution = (executionArn: string): ExecutionRecord | undefined => world.twin.stateMachine.describe(executionArn);
const cancellationOf = (queryId: string): ExecutionRecord | undefined => world.twin.cancellationStateMachine.executions.find((e) => e.name === queryId);

describe('e2e: cancelling a running query', () => {
  let running: { queryId: string; executionArn: string };
  let answer: { status: number; json: unknown };

  beforeAll(async () => {
    running = await submit(LONG_QUERY, '/running');
    await clock.advanceBy(1000);
    answer = await world.call('DELETE', `/queries/${running.queryId}`);
    await advanceUntil(clock, 'the CANCELLED callback', () => acknowledged('/running') !== undefined);
  });

  it('answers 202 CANCELLING', () => {
    expect(answer).toMatchObject({ status: 202, json: { queryId: running.queryId, status: 'CANCELLING' } });
  });

  it('stops the query in Athena, so it scans and bills no more', () => {
    // THEN
    expect(world.twin.queryOf(running.executionArn)?.Status.State).toBe('CANCELLED');
  });

  it('delivers the CANCELLED callback through the normal delivery path, the execution never stopped', () => {
    // WHEN
    const delivery = acknowledged('/running');
    const payload = delivery?.payload as CallbackPayload;

    // THEN
    expect(payload).toMatchObject({ ExecutionArn: running.executionArn, State: { State: 'CANCELLED' }, QueryExecutionId: world.twin.queryOf(running.executionArn)?.QueryExecutionId });
    expect(payload.QueryResult).toBeUndefined();
    expect(delivery?.signatureVerified).toBe(true);
    expect(execution(running.executionArn)?.status).toBe('SUCCEEDED');
    expect(cancellationOf(running.queryId)).toBeUndefined();
  });

  it('reports the query CANCELLED, its callback delivered', async () => {
    // WHEN
    const response = await world.call('GET', `/queries/${running.queryId}`);

    // THEN
    expect(response.json).toMatchObject({ status: 'CANCELLED', callback: { status: 'delivered', attempts: 1 } });
  });

  it('answers a second DELETE 409 with the final state', async () => {
    // WHEN
    const again = await world.call('DELETE', `/queries/${running.queryId}`);

    // THEN
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ queryId: running.queryId, status: 'CANCELLED', message: expect.stringContaining('nothing to cancel') });
  });
});

describe('e2e: cancelling a query before Athena started it', () => {
  let blocker: { queryId: string; executionArn: string };
  let waiting: { queryId: string; executionArn: string };
  let answer: { status: number; json: unknown };

  beforeAll(async () => {
    // The long query takes Athena's only slot; the next one is refused by the quota and retried.
    blocker = await submit(LONG_QUERY, '/blocker');
    waiting = await submit(SHORT_QUERY, '/waiting?token=s3cr3t');
    await clock.advanceBy(1000);
    answer = await world.call('DELETE', `/queries/${waiting.queryId}`);
    await advanceUntil(clock, 'the CANCELLED callback', () => acknowledged('/waiting?token=s3cr3t') !== undefined);
  });

  afterAll(async () => {
    await world.call('DELETE', `/queries/${blocker.queryId}`);
    await advanceUntil(clock, 'the blocker to end', () => acknowledged('/blocker') !== undefined);
  });

  it('answers 202 CANCELLED', () => {
    expect(answer).toMatchObject({ status: 202, json: { queryId: waiting.queryId, status: 'CANCELLED' } });
  });

  it('stops the execution with the reason, and no query of it ever reaches Athena', () => {
    // THEN
    expect(execution(waiting.executionArn)).toMatchObject({ status: 'ABORTED', error: CANCEL_BEFORE_START.error, cause: CANCEL_BEFORE_START.cause });
    expect(world.twin.queryOf(waiting.executionArn)).toBeUndefined();
    expect(world.twin.athena.listQueryExecutions().filter((q) => q.Query === SHORT_QUERY)).toEqual([]);
  });

  it('starts the cancellation machine with the same name and the stopped execution in its input', () => {
    // WHEN
    const cancellation = cancellationOf(waiting.queryId);

    // THEN
    expect(cancellation?.status).toBe('SUCCEEDED');
    expect(cancellation?.input).toEqual({
      ExecutionArn: waiting.executionArn,
      ExecutionStartTime: execution(waiting.executionArn)?.startDate.toISOString(),
      CallbackUrl: world.receiver.url('/waiting?token=s3cr3t'),
    });
  });

  it('delivers a CANCELLED callback with the original ExecutionArn and webhook-id, signed', () => {
    // WHEN
    const delivery = acknowledged('/waiting?token=s3cr3t');
    const payload = delivery?.payload as CallbackPayload;

    // THEN
    expect(payload).toEqual({
      ExecutionArn: waiting.executionArn,
      State: { State: 'CANCELLED', StateChangeReason: CANCELLED_BEFORE_START_REASON, SubmissionDateTime: execution(waiting.executionArn)?.startDate.getTime(), CompletionDateTime: expect.any(Number) },
    });
    expect(delivery?.webhookId).toBe(webhookIdFor(waiting.executionArn));
    expect(delivery?.signatureVerified).toBe(true);
  });

  it('answers a second DELETE 409: already cancelled', async () => {
    // WHEN
    const again = await world.call('DELETE', `/queries/${waiting.queryId}`);

    // THEN
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ status: 'CANCELLED', message: expect.stringContaining('was already cancelled') });
    expect(world.twin.cancellationStateMachine.executions.filter((e) => e.name === waiting.queryId)).toHaveLength(1);
  });
});

describe('e2e: what cannot be cancelled', () => {
  it('answers 409 with the final state for a query that finished', async () => {
    // GIVEN
    const done = await submit(SHORT_QUERY, '/done');
    await advanceUntil(clock, 'the callback', () => acknowledged('/done') !== undefined);

    // WHEN
    const response = await world.call('DELETE', `/queries/${done.queryId}`);

    // THEN
    expect(response.status).toBe(409);
    expect(response.json).toMatchObject({ queryId: done.queryId, status: 'SUCCEEDED', message: `Query '${done.queryId}' already finished: SUCCEEDED. There is nothing to cancel.` });
    expect(acknowledged('/done')?.payload).toMatchObject({ State: { State: 'SUCCEEDED' } });
  });

  it('answers 404 for an id no query has, and 400 naming the rule for a malformed one', async () => {
    // WHEN
    const unknown = await world.call('DELETE', '/queries/no-such-query');
    const malformed = await world.call('DELETE', '/queries/a%20b');

    // THEN
    expect(unknown.status).toBe(404);
    expect(malformed.status).toBe(400);
    expect((malformed.json as { message: string }).message).toMatch(/the query id in the path \(\/queries\/\{id\}\) must be 1 to 80 characters, each a letter, a digit, "_" or "-", got "a b" \(3 characters\)/);
  });
});

describe('e2e: the cancellation machine dead-letters and redrive delivers', () => {
  let blocker: { queryId: string; executionArn: string };
  let waiting: { queryId: string; executionArn: string };

  beforeAll(async () => {
    world.receiver.respondWith((delivery) => (delivery.path.startsWith('/refusing') ? { status: 410 } : { status: 204 }));
    blocker = await submit(LONG_QUERY, '/blocker-2');
    waiting = await submit(SHORT_QUERY, '/refusing?token=s3cr3t');
    await clock.advanceBy(1000);
    expect((await world.call('DELETE', `/queries/${waiting.queryId}`)).status).toBe(202);
    await advanceUntil(clock, 'the dead letter', () => cancellationOf(waiting.queryId)?.status === 'FAILED');
  });

  afterAll(async () => {
    await world.call('DELETE', `/queries/${blocker.queryId}`);
    await advanceUntil(clock, 'the blocker to end', () => acknowledged('/blocker-2') !== undefined);
  });

  it("records the cancellation execution's own ARN in the dead-letter queue, without the URL's token", () => {
    // WHEN
    const cancellation = cancellationOf(waiting.queryId);
    const records = (world.twin.deadLetters.parsedBodies() as { ExecutionArn: string; StateMachineArn: string }[]).filter((r) => r.ExecutionArn === cancellation?.executionArn);

    // THEN
    expect(cancellation?.error).toBe('CallbackDeliveryFailed');
    expect(records).toEqual([expect.objectContaining({ ExecutionArn: cancellation?.executionArn, StateMachineArn: world.twin.stack.artifacts.cancellationStateMachine.arn })]);
    expect(JSON.stringify(records)).not.toMatch(/s3cr3t/);
  });

  it('reports the query CANCELLED with its callback dead-lettered', async () => {
    // WHEN
    const response = await world.call('GET', `/queries/${waiting.queryId}`);

    // THEN
    expect(response.json).toMatchObject({ status: 'CANCELLED', callback: { status: 'dead-lettered', attempts: 1, lastError: expect.stringMatching(/410 Gone$/) } });
    expect(response.text).not.toMatch(/s3cr3t/);
  });

  it('redelivers the CANCELLED callback as the original execution, with the same webhook-id', async () => {
    // GIVEN the receiver accepts again
    world.receiver.respondWith(() => ({ status: 204 }));
    const cancellation = cancellationOf(waiting.queryId);

    // WHEN
    const report = await redrive(aws.deployment, aws.services);

    // THEN
    expect(report).toMatchObject({ delivered: [cancellation?.executionArn], refused: [], failed: [], invalid: [] });
    const delivery = acknowledged('/refusing?token=s3cr3t');
    expect(delivery?.payload).toMatchObject({ ExecutionArn: waiting.executionArn, State: { State: 'CANCELLED', StateChangeReason: CANCELLED_BEFORE_START_REASON } });
    expect(delivery?.webhookId).toBe(webhookIdFor(waiting.executionArn));
    expect(await world.twin.deadLetters.messageCount()).toBe(0);
  });

  it("refuses a cancellation machine's execution that names an execution not stopped by a cancel", async () => {
    // GIVEN an execution of the cancellation machine started by hand for a query that SUCCEEDED, whose delivery failed
    const done = await submit(SHORT_QUERY, '/done-2');
    await advanceUntil(clock, 'the callback', () => acknowledged('/done-2') !== undefined);
    world.receiver.respondWith((delivery) => (delivery.path.startsWith('/forged') ? { status: 410 } : { status: 204 }));
    const original = execution(done.executionArn) as ExecutionRecord;
    const forged = world.twin.cancellationStateMachine.startExecution({
      stateMachineArn: world.twin.stack.artifacts.cancellationStateMachine.arn,
      name: done.queryId,
      input: JSON.stringify({ ExecutionArn: done.executionArn, ExecutionStartTime: original.startDate.toISOString(), CallbackUrl: world.receiver.url('/forged') }),
    });
    await advanceUntil(clock, 'the forged dead letter', () => world.twin.cancellationStateMachine.describe(forged.executionArn)?.status === 'FAILED');
    world.receiver.respondWith(() => ({ status: 204 }));

    // WHEN
    const report = await redrive(aws.deployment, aws.services);

    // THEN
    expect(report.delivered).toEqual([]);
    expect(report.refused).toEqual([
      { executionArn: forged.executionArn, error: expect.stringContaining(`the execution it delivers for, ${done.executionArn}, is SUCCEEDED, not ABORTED by a cancel`) },
    ]);
    expect(world.receiver.deliveries.filter((d) => d.path === '/forged' && d.acknowledged)).toEqual([]);
  });

  it('refuses the cancellation machine when the deployment does not name it', async () => {
    // GIVEN the record of the forged execution, still in the queue
    const { cancellationStateMachineArn: _left, ...withoutCancellations } = aws.deployment;

    // WHEN
    const report = await redrive(withoutCancellations, aws.services, { dryRun: true });

    // THEN
    expect(report.listed).toEqual([]);
    expect(report.refused).toEqual([{ executionArn: expect.stringContaining(':execution:'), error: expect.stringMatching(/the execution belongs to state machine .+, not to .+$/) }]);
  });
});
