/**
 * Faults around the dead-letter queue and the receiver's Retry-After, through the synthesized state machine on the
 * twin with moto's SQS: whatever a receiver answers, whatever a caller's query holds, and even when SQS cannot be
 * reached, no callback is lost: it is delivered, or recorded in the queue, or recorded in the execution itself, and
 * redrive delivers it from there.
 */
import { webhookIdFor } from '../../handler/signing';
import type { ExecutionRecord } from '../../twin/step-functions/state-machine-runner';
import { deploymentArguments, runRedriveCommand } from '../support/twin-redrive';
import { eventNames, finished, SAMPLE_QUERY, startWorld, type World } from './harness';

let world: World;
/** While true, every SendMessage of the state machine fails to reach SQS. */
let sqsDown = false;

beforeAll(async () => {
  world = await startWorld({ sqs: { available: () => !sqsDown } });
});

afterAll(async () => {
  await world?.close();
});

interface Record2 {
  RecordVersion: number;
  ExecutionArn: string;
  Failure: { Kind: string };
  LastError: { Error: string; Cause: string };
}

function recordsOf(executionArn: string): Record2[] {
  return (world.twin.deadLetters.parsedBodies() as Record2[]).filter((r) => r.ExecutionArn === executionArn);
}

/** Timestamps of the execution's events of one type and state, in the twin's clock. */
function timesOf(record: ExecutionRecord, type: string, state: string): number[] {
  return record.events.filter((e) => e.type === type && e.state?.name === state).map((e) => e.timestamp);
}

const gaps = (times: readonly number[]): number[] => times.slice(1).map((t, i) => t - times[i]);

describe('e2e fault: text SQS refuses, from a receiver or a caller', () => {
  it('records a callback whose receiver answered 400 with U+FFFF in the body, the body escaped', async () => {
    // GIVEN
    world.receiver.respondWith((d) => (d.path === '/ffff' ? { status: 400, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'no \uffff\ufffe' } : { status: 204 }));

    // WHEN
    const executionArn = await world.submit(SAMPLE_QUERY, world.receiver.url('/ffff'));
    const record = await finished(world, executionArn);

    // THEN
    expect([record.status, record.error]).toEqual(['FAILED', 'CallbackDeliveryFailed']);
    const [written] = recordsOf(executionArn);
    expect(written.LastError.Error).toBe('CallbackRejectedError');
    expect(JSON.parse(written.LastError.Cause).errorMessage).toMatch(/answered 400 Bad Request: no \\uFFFF\\uFFFE$/);
  });

  it.each([
    ['a query that succeeds', `${SAMPLE_QUERY} -- \ufffe\uffff`],
    ['a query that fails, whose Cause quotes it', `SELEC \ufffe\uffff`],
  ])('records a rejected callback of %s holding U+FFFE and U+FFFF, without the query', async (_label, query) => {
    // GIVEN
    world.receiver.respondWith((d) => (d.path === '/gone' ? { status: 410 } : { status: 204 }));

    // WHEN
    const executionArn = await world.submit(query, world.receiver.url('/gone'));
    const record = await finished(world, executionArn);

    // THEN
    expect([record.status, record.error]).toEqual(['FAILED', 'CallbackDeliveryFailed']);
    const written = world.twin.deadLetters.sent.filter((m) => m.Body.includes(executionArn));
    expect(written).toHaveLength(1);
    expect(written[0].Body).not.toMatch(/[\ufffe\uffff]|SELEC/);
    expect(JSON.parse(written[0].Body)).toMatchObject({ RecordVersion: 2, Failure: { Kind: 'PermanentFailure' }, LastError: { Error: 'CallbackRejectedError' } });
  });
});

describe('e2e fault: SQS unreachable for every attempt', () => {
  let executionArn: string;
  let record: ExecutionRecord;

  beforeAll(async () => {
    world.receiver.respondWith((d) => (d.path.startsWith('/outage') ? { status: 410 } : { status: 204 }));
    sqsDown = true;
    try {
      executionArn = await world.submit(SAMPLE_QUERY, world.receiver.url('/outage?token=t0ken'));
      record = await finished(world, executionArn);
    } finally {
      sqsDown = false;
    }
  });

  it('retries the write, then ends the execution in CallbackDeadLetterWriteFailed', () => {
    // THEN
    expect([record.status, record.error]).toEqual(['FAILED', 'CallbackDeadLetterWriteFailed']);
    expect(record.events.filter((e) => e.type === 'StateRetried' && e.state?.name === 'RecordDeadLetter')).toHaveLength(6);
    expect(eventNames(record).slice(-5)).toEqual([
      'StateEntered:RenderUnrecordedDelivery',
      'StateExited:RenderUnrecordedDelivery',
      'StateEntered:DeadLetterWriteFailed',
      'StateFailed:DeadLetterWriteFailed',
      'ExecutionFailed',
    ]);
    expect(recordsOf(executionArn)).toEqual([]);
  });

  it('keeps the whole delivery record as the execution Cause', () => {
    // THEN
    expect(JSON.parse(record.cause ?? '')).toEqual({
      RecordVersion: 2,
      ExecutionArn: executionArn,
      ExecutionStartTime: expect.any(String),
      StateMachineArn: world.twin.stack.artifacts.stateMachine.arn,
      Failure: { Kind: 'PermanentFailure', MaxAttempts: 9 },
      LastError: { Error: 'CallbackRejectedError', Cause: expect.stringContaining('answered 410') },
    });
    expect(record.cause).not.toContain('t0ken');
  });

  it('is found through Step Functions and delivered by npm run redrive --unrecorded-since', async () => {
    // GIVEN the receiver accepts now
    world.receiver.respondWith(() => ({ status: 204 }));
    const since = new Date(record.startDate.getTime() - 60_000).toISOString();

    // WHEN
    const run = await runRedriveCommand(world.twin, [...deploymentArguments(world.twin), '--unrecorded-since', since]);

    // THEN
    expect([run.status, run.stderr]).toEqual([0, '']);
    expect(run.stdout).toContain(`delivered ${executionArn}`);
    const delivered = world.receiver.deliveries.filter((d) => d.path === '/outage?token=t0ken' && d.acknowledged);
    expect(delivered).toHaveLength(1);
    expect(delivered[0].webhookId).toBe(webhookIdFor(executionArn));
    expect(delivered[0].signatureVerified).toBe(true);
  });

  it('leaves out executions that stopped before --unrecorded-since', async () => {
    // GIVEN
    const since = new Date((record.stopDate?.getTime() ?? 0) + 60_000).toISOString();

    // WHEN
    const run = await runRedriveCommand(world.twin, [...deploymentArguments(world.twin), '--unrecorded-since', since]);

    // THEN
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('redrive: 0 delivered, 0 failed, 0 refused, 0 invalid');
  });
});

describe('e2e fault: the receiver asks to Retry-After', () => {
  it('waits at least 120 s of the twin clock between attempts for Retry-After: 120, twice, then delivers', async () => {
    // GIVEN
    world.receiver.respondWith((d, attempt) => (d.path === '/busy' && attempt <= 2 ? { status: 429, headers: { 'Retry-After': '120' } } : { status: 204 }));

    // WHEN
    const executionArn = await world.submit(SAMPLE_QUERY, world.receiver.url('/busy'));
    const record = await finished(world, executionArn);

    // THEN
    expect(record.status).toBe('SUCCEEDED');
    expect(world.receiver.deliveries.filter((d) => d.path === '/busy').map((d) => d.answeredStatus)).toEqual([429, 429, 204]);
    const attempts = timesOf(record, 'StateEntered', 'DeliverCallback');
    expect(attempts).toHaveLength(3);
    for (const gap of gaps(attempts)) expect(gap).toBeGreaterThanOrEqual(120_000);
    expect(timesOf(record, 'StateEntered', 'WaitRetryAfter')).toHaveLength(2);
  });

  it('honours a Retry-After HTTP date on 503', async () => {
    // GIVEN an HTTP date 5 minutes ahead of twin time, the time the callbacker reads it in
    const at = () => new Date(world.clock.now() + 300_000).toUTCString();
    world.receiver.respondWith((d, attempt) => (d.path === '/maintenance' && attempt === 1 ? { status: 503, headers: { 'Retry-After': at() } } : { status: 204 }));

    // WHEN
    const executionArn = await world.submit(SAMPLE_QUERY, world.receiver.url('/maintenance'));
    const record = await finished(world, executionArn);

    // THEN
    expect(record.status).toBe('SUCCEEDED');
    const [gap] = gaps(timesOf(record, 'StateEntered', 'DeliverCallback'));
    expect(gap).toBeGreaterThanOrEqual(295_000);
  });

  it('stops after 8 waits of at most an hour and dead-letters the callback', async () => {
    // GIVEN a receiver asking for a day, every time
    world.receiver.respondWith((d) => (d.path === '/never' ? { status: 429, headers: { 'Retry-After': '86400' } } : { status: 204 }));

    // WHEN
    const executionArn = await world.submit(SAMPLE_QUERY, world.receiver.url('/never'));
    const record = await finished(world, executionArn);

    // THEN
    expect([record.status, record.error]).toEqual(['FAILED', 'CallbackDeliveryFailed']);
    expect(world.receiver.deliveries.filter((d) => d.path === '/never')).toHaveLength(9);
    const waits = gaps(timesOf(record, 'StateEntered', 'DeliverCallback'));
    expect(waits).toHaveLength(8);
    for (const gap of waits) expect(gap).toBeGreaterThanOrEqual(3_600_000);
    for (const gap of waits) expect(gap).toBeLessThan(3_600_000 + 60_000);
    const [written] = recordsOf(executionArn);
    expect(written).toMatchObject({ Failure: { Kind: 'RetriesExhausted' }, LastError: { Error: 'CallbackRetryAfterError' } });
  });
});
