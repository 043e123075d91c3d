/**
 * Re-delivers dead-lettered callbacks: each record is handed to the callbacker again (which presigns a fresh URL,
 * signs with the same webhook-id, and applies the same SSRF rules), and removed from the queue only once delivered.
 */
import type { DeliveryRequest } from '../handler/types';
import { parseDeadLetterRecord, toDeliveryRequest } from './dead-letter-record';

/** A message of the dead-letter queue. */
export interface DeadLetterMessage {
  /** Handle to acknowledge (delete) the message with. */
  readonly receipt: string;
  /** The message body: a delivery record. */
  readonly body: string;
}

/** Where records come from: the SQS queue in AWS, a local store in the offline twin. */
export interface DeadLetterSource {
  /** Up to `max` messages not yet acknowledged and not in flight. */
  receive(max: number): Promise<readonly DeadLetterMessage[]>;
  /** Removes a delivered message. */
  acknowledge(receipt: string): Promise<void>;
}

/** Delivers one request: the deployed callbacker in AWS, the bundled one locally. Throws when delivery fails. */
export interface DeliveryInvoker {
  deliver(request: DeliveryRequest): Promise<unknown>;
}

/** Options of {@link redrive}. */
export interface RedriveOptions {
  /** Stop after this many records. @default 100 */
  readonly maxRecords?: number;
  /** List what would be redelivered, deliver nothing. @default false */
  readonly dryRun?: boolean;
}

/** What a redrive did. */
export interface RedriveReport {
  readonly delivered: readonly string[];
  readonly failed: readonly { readonly executionArn: string; readonly error: string }[];
  readonly invalid: readonly { readonly receipt: string; readonly error: string }[];
  readonly listed: readonly string[];
}

/**
 * Redrives up to `maxRecords` records. A record that fails again stays in the queue (it becomes visible again after
 * the queue's visibility timeout); an invalid record is reported and left for an operator.
 */
export async function redrive(source: DeadLetterSource, invoker: DeliveryInvoker, options: RedriveOptions = {}): Promise<RedriveReport> {
  const maxRecords = options.maxRecords ?? 100;
  const delivered: string[] = [];
  const failed: { executionArn: string; error: string }[] = [];
  const invalid: { receipt: string; error: string }[] = [];
  const listed: string[] = [];
  let seen = 0;
  while (seen < maxRecords) {
    const batch = await source.receive(Math.min(10, maxRecords - seen));
    if (batch.length === 0) break;
    for (const message of batch) {
      seen += 1;
      let request: DeliveryRequest;
      try {
        request = toDeliveryRequest(parseDeadLetterRecord(message.body));
      } catch (error) {
        invalid.push({ receipt: message.receipt, error: (error as Error).message });
        continue;
      }
      if (options.dryRun) {
        listed.push(request.ExecutionArn);
        continue;
      }
      try {
        await invoker.deliver(request);
        await source.acknowledge(message.receipt);
        delivered.push(request.ExecutionArn);
      } catch (error) {
        const e = error as Error;
        failed.push({ executionArn: request.ExecutionArn, error: `${e.name}: ${e.message}` });
      }
    }
  }
  return { delivered, failed, invalid, listed };
}
