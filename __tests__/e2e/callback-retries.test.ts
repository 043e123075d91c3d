/**
 * Callback delivery through the real state machine (its Retry and Catch) and the bundled callbacker: transient
 * receiver failures are retried with the same webhook-id until one succeeds, and a receiver that stays down ends in a
 * dead-letter record (on moto's SQS) that points at the execution, from which redrive re-derives and delivers again.
 */
import { webhookIdFor } from '../../handler/signing';
import { redrive } from '../../redrive/redrive';
import { parseCsv } from '../../twin/athena/athena-csv';
import { startWebhookReceiver, type WebhookReceiver } from '../../twin/receiver/webhook-receiver';
import { twinRedrive } from '../support/twin-redrive';
import { closedPort, finished, SAMPLE_QUERY, startWorld, within, type World } from './harness';

interface DeadLetterBody {
  RecordVersion: number;
  ExecutionArn: string;
  ExecutionStartTime: string;
  StateMachineArn: string;
  Failure: { Kind: string; MaxAttempts: number };
  LastError: { Error: string; Cause: string };
}

/** The records the state machine wrote for an execution. */
function recordsOf(world: World, executionArn: string): DeadLetterBody[] {
  return (world.twin.deadLetters.parsedBodies() as DeadLetterBody[]).filter((b) => b.ExecutionArn === executionArn);
}

let world: World;
let downPort: number;

beforeAll(async () => {
  downPort = await closedPort();
  world = await startWorld({ extraCallbackPorts: [downPort] });
});

afterAll(async () => {
  await world?.close();
});

describe('e2e: callback retries', () => {
  it('retries a receiver answering 500, 500, 200 and succeeds exactly once, with the same webhook-id each time', async () => {
    // GIVEN
    world.receiver.respondWith((delivery, attempt) => (delivery.path === '/flaky' && attempt <= 2 ? { status: 500 } : { status: 200 }));

    // WHEN
    const executionArn = await world.submit(SAMPLE_QUERY, world.receiver.url('/flaky'));
    const record = await finished(world, executionArn);

    // THEN
    const attempts = world.receiver.deliveries.filter((d) => d.path === '/flaky');
    expect(attempts.map((d) => d.answeredStatus)).toEqual([500, 500, 200]);
    expect(attempts.map((d) => d.webhookId)).toEqual(Array(3).fill(webhookIdFor(executionArn)));
    expect(attempts.filter((d) => d.acknowledged)).toHaveLength(1);
    expect(attempts.every((d) => d.signatureVerified)).toBe(true);
    expect(record.status).toBe('SUCCEEDED');
    expect(record.events.filter((e) => e.type === 'StateRetried' && e.state?.name === 'DeliverCallback')).toHaveLength(2);
    expect(recordsOf(world, executionArn)).toHaveLength(0);
  });

  describe('a receiver that is down for good', () => {
    let executionArn: string;
    let body: DeadLetterBody;

    beforeAll(async () => {
      world.receiver.respondWith(() => ({ status: 204 }));
      executionArn = await world.submit(SAMPLE_QUERY, `https://127.0.0.1:${downPort}/down`);
      await finished(world, executionArn);
      [body] = recordsOf(world, executionArn);
    });

    it('fails the execution with CallbackDeliveryFailed after every retry', () => {
      // THEN
      const record = world.twin.stateMachine.describe(executionArn);
      expect(record?.status).toBe('FAILED');
      expect(record?.error).toBe('CallbackDeliveryFailed');
      expect(record?.events.filter((e) => e.type === 'StateRetried' && e.state?.name === 'DeliverCallback')).toHaveLength(8);
    });

    it('leaves one dead-letter record pointing at the execution, with the failure and no caller text', () => {
      // THEN
      expect(recordsOf(world, executionArn)).toHaveLength(1);
      expect(body).toEqual({
        RecordVersion: 2,
        ExecutionArn: executionArn,
        ExecutionStartTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        StateMachineArn: world.twin.stack.artifacts.stateMachine.arn,
        Failure: { Kind: 'RetriesExhausted', MaxAttempts: 9 },
        LastError: { Error: 'CallbackRetryableError', Cause: expect.any(String) },
      });
      expect(JSON.stringify(body)).not.toContain(SAMPLE_QUERY.slice(0, 20));
    });

    it('records the last error as Lambda reports a function error: {errorType, errorMessage, trace}', () => {
      // THEN
      const cause = JSON.parse(body.LastError.Cause) as { errorType: string; errorMessage: string; trace: unknown };
      expect(cause.errorType).toBe('CallbackRetryableError');
      expect(cause.errorMessage).toMatch(/ECONNREFUSED/);
      expect(Array.isArray(cause.trace)).toBe(true);
    });

    it('carries no presigned URL and no secret', () => {
      // THEN
      const text = JSON.stringify(body);
      expect(text).not.toMatch(/X-Amz-Signature|whsec_/);
    });

    it('delivers again, re-derived from Step Functions and Athena, once the receiver is back, with the same webhook-id', async () => {
      // GIVEN the receiver comes back where the callback URL points
      let back: WebhookReceiver | undefined;
      const aws = twinRedrive(world.twin);
      try {
        back = await startWebhookReceiver({ tls: world.tls, signingSecret: world.twin.webhookSigningSecret, port: downPort, clock: world.clock });

        // WHEN the queue is redriven through the real adapters: moto's SQS, the twin's Step Functions, Athena and Lambda
        const report = await redrive(aws.deployment, aws.services);

        // THEN: signed, for the same execution and webhook-id, with a fresh URL to the same result
        expect(report).toMatchObject({ delivered: [executionArn], failed: [], refused: [], invalid: [] });
        const delivery = await within(60_000, 'redriven callback', back.waitFor((d) => d.acknowledged));
        expect(delivery.signatureVerified).toBe(true);
        expect(delivery.webhookId).toBe(webhookIdFor(executionArn));
        const payload = delivery.payload as { ExecutionArn: string; QueryResult: { PresignedUrl: string } };
        expect(payload.ExecutionArn).toBe(executionArn);
        const download = await fetch(payload.QueryResult.PresignedUrl);
        expect(download.status).toBe(200);
        expect(parseCsv(await download.text())).toHaveLength(11);
        // and the record left the queue once delivered
        expect(await world.twin.deadLetters.messageCount()).toBe(0);
      } finally {
        aws.close();
        await back?.close();
      }
    });
  });

  it('dead-letters a callback the receiver rejects (410) after a single attempt', async () => {
    // GIVEN
    world.receiver.respondWith((delivery) => (delivery.path === '/gone' ? { status: 410 } : { status: 204 }));

    // WHEN
    const executionArn = await world.submit(SAMPLE_QUERY, world.receiver.url('/gone'));
    const record = await finished(world, executionArn);

    // THEN
    expect(world.receiver.deliveries.filter((d) => d.path === '/gone')).toHaveLength(1);
    expect(record.error).toBe('CallbackDeliveryFailed');
    const [dead] = recordsOf(world, executionArn);
    expect(dead.Failure.Kind).toBe('PermanentFailure');
    expect(dead.LastError.Error).toBe('CallbackRejectedError');
  });
});
