/**
 * At-least-once delivery, the case receivers must plan for: the receiver does its work and answers 2xx, but only after
 * the callbacker's POST timeout. The callbacker has given up by then, counts the attempt as failed, and the state
 * machine delivers again: the receiver sees the same callback twice, with the same webhook-id, and must deduplicate.
 * All timings are twin seconds.
 */
import { webhookIdFor } from '../../handler/signing';
import type { ReceivedDelivery } from '../../twin/receiver/webhook-receiver';
import type { ExecutionRecord } from '../../twin/step-functions/state-machine-runner';
import { finished, SAMPLE_QUERY, startWorld, type World } from './harness';

/** The callbacker's POST timeout in this suite. */
const TIMEOUT_MS = 2000;
/** When the receiver answers its first delivery: well after the timeout. */
const LATE_ANSWER_MS = 5000;

let world: World;
let executionArn: string;
let record: ExecutionRecord;
let attempts: ReceivedDelivery[];

beforeAll(async () => {
  world = await startWorld({ callbackerEnvironment: { CALLBACK_TOTAL_TIMEOUT_MS: String(TIMEOUT_MS) } });
  world.receiver.respondWith((_delivery, attempt) => (attempt === 1 ? { status: 200, delayMs: LATE_ANSWER_MS } : { status: 204 }));
  executionArn = await world.submit(SAMPLE_QUERY, world.receiver.url('/late'));
  record = await finished(world, executionArn);
  // The retry may be accepted before the late answer is written; the twin clock moves on to it.
  await world.receiver.waitFor((d) => d.path === '/late' && d.answeredAfterSenderLeft, 60_000);
  attempts = world.receiver.deliveries.filter((d) => d.path === '/late');
});

afterAll(async () => {
  await world?.close();
});

describe('e2e: a 2xx that arrives after the timeout', () => {
  it('is not seen by the callbacker: the receiver answered 200 after the POST had timed out', () => {
    // THEN
    const [late] = attempts;
    expect(late.answeredStatus).toBe(200);
    expect(late.answeredAfterSenderLeft).toBe(true);
    expect(late.acknowledged).toBe(false);
    expect(late.answeredAt! - late.receivedAt).toBe(LATE_ANSWER_MS);
  });

  it('leads to a second delivery with the same webhook-id, at least the timeout later, which is accepted', () => {
    // THEN
    expect(attempts).toHaveLength(2);
    const [late, again] = attempts;
    expect(again.webhookId).toBe(late.webhookId);
    expect(again.webhookId).toBe(webhookIdFor(executionArn));
    expect(again.receivedAt - late.receivedAt).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(again.acknowledged).toBe(true);
    expect(attempts.every((d) => d.signatureVerified)).toBe(true);
  });

  it('carries the same outcome both times, so deduplicating on webhook-id loses nothing', () => {
    // THEN only the presigned URL (signed anew) and the signature timestamp differ
    const [late, again] = attempts.map((d) => d.payload as { QueryResult: { PresignedUrl: string; ExpiredIn: number } });
    const withoutUrl = (p: typeof late): unknown => ({ ...p, QueryResult: { ...p.QueryResult, PresignedUrl: undefined, ExpiredIn: undefined } });
    expect(withoutUrl(again)).toEqual(withoutUrl(late));
    expect(new Set(attempts.map((d) => d.webhookId)).size).toBe(1);
  });

  it('ends the execution SUCCEEDED after one retry, with nothing dead-lettered', () => {
    // THEN
    expect(record.status).toBe('SUCCEEDED');
    expect(record.events.filter((e) => e.type === 'StateRetried' && e.state?.name === 'DeliverCallback')).toHaveLength(1);
    expect(world.twin.deadLetters.sent).toHaveLength(0);
  });
});
