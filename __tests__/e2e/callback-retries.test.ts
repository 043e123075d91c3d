/**
 * Callback delivery through the real state machine (its Retry and Catch) and the bundled callbacker: transient
 * receiver failures are retried with the same webhook-id until one succeeds, and a receiver that stays down ends in a
 * dead-letter record that holds everything needed to deliver again.
 */
import { webhookIdFor } from '../../handler/signing';
import type { DeliveryRequest } from '../../handler/types';
import { redrive } from '../../redrive/redrive';
import { parseCsv } from '../../twin/athena/athena-csv';
import { startWebhookReceiver, type WebhookReceiver } from '../../twin/receiver/webhook-receiver';
import { closedPort, finished, SAMPLE_QUERY, startWorld, within, type World } from './harness';

interface DeadLetterBody {
  RecordVersion: number;
  ExecutionArn: string;
  ExecutionStartTime: string;
  CallbackUrl: string;
  QueryOutcome: { QueryExecution: { QueryExecutionId: string; Status: { State: string }; ResultConfiguration: { OutputLocation: string } } };
  Failure: { Kind: string; MaxAttempts: number };
  LastError: { Error: string; Cause: string };
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
    expect(world.twin.deadLetters.records.filter((r) => r.Body.includes(executionArn))).toHaveLength(0);
  });

  describe('a receiver that is down for good', () => {
    let executionArn: string;
    let body: DeadLetterBody;

    beforeAll(async () => {
      world.receiver.respondWith(() => ({ status: 204 }));
      executionArn = await world.submit(SAMPLE_QUERY, `https://127.0.0.1:${downPort}/down`);
      await finished(world, executionArn);
      const record = world.twin.deadLetters.records.find((r) => r.Body.includes(executionArn));
      body = JSON.parse(record?.Body ?? 'null') as DeadLetterBody;
    });

    it('fails the execution with CallbackDeliveryFailed after every retry', () => {
      // THEN
      const record = world.twin.stateMachine.describe(executionArn);
      expect(record?.status).toBe('FAILED');
      expect(record?.error).toBe('CallbackDeliveryFailed');
      expect(record?.events.filter((e) => e.type === 'StateRetried' && e.state?.name === 'DeliverCallback')).toHaveLength(8);
    });

    it('leaves one dead-letter record with the execution, the callback URL, the query outcome and the failure', () => {
      // THEN
      expect(world.twin.deadLetters.records.filter((r) => r.Body.includes(executionArn))).toHaveLength(1);
      expect(body).toMatchObject({
        RecordVersion: 1,
        ExecutionArn: executionArn,
        ExecutionStartTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
        CallbackUrl: `https://127.0.0.1:${downPort}/down`,
        QueryOutcome: { QueryExecution: { Status: { State: 'SUCCEEDED' }, ResultConfiguration: { OutputLocation: expect.stringMatching(/^s3:\/\/.+\.csv$/) } } },
        Failure: { Kind: 'RetriesExhausted', MaxAttempts: 9 },
        LastError: { Error: 'CallbackRetryableError' },
      });
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

    it('delivers again from the record alone once the receiver is back, with the same webhook-id', async () => {
      // GIVEN the receiver comes back where the callback URL points
      let back: WebhookReceiver | undefined;
      try {
        back = await startWebhookReceiver({ tls: world.tls, signingSecret: world.twin.webhookSigningSecret, port: downPort, clock: world.clock });

        // WHEN the queue is redriven (what npm run redrive does against SQS) through the same function
        const report = await redrive(world.twin.deadLetters, { deliver: (request: DeliveryRequest) => world.twin.lambda.invoke(request) });
        world.twin.deadLetters.releaseInFlight();

        // THEN: signed, for the same execution and webhook-id, with a fresh URL to the same result
        const delivery = await within(60_000, 'redriven callback', back.waitFor((d) => d.acknowledged));
        expect(delivery.signatureVerified).toBe(true);
        expect(delivery.webhookId).toBe(webhookIdFor(executionArn));
        const payload = delivery.payload as { ExecutionArn: string; QueryResult: { PresignedUrl: string } };
        expect(payload.ExecutionArn).toBe(executionArn);
        const download = await fetch(payload.QueryResult.PresignedUrl);
        expect(download.status).toBe(200);
        expect(parseCsv(await download.text())).toHaveLength(11);
        // and the record left the queue once delivered
        expect(report.delivered).toContain(executionArn);
        expect(world.twin.deadLetters.records.filter((r) => r.Body.includes(executionArn))).toHaveLength(0);
      } finally {
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
    const dead = JSON.parse(world.twin.deadLetters.records.find((r) => r.Body.includes(executionArn))?.Body ?? 'null') as DeadLetterBody;
    expect(dead.Failure.Kind).toBe('PermanentFailure');
    expect(dead.LastError.Error).toBe('CallbackRejectedError');
  });
});
