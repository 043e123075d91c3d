/**
 * The dead-letter queue: what the state machine's `sqs:sendMessage` Task puts there, kept in memory in the shape an
 * SQS consumer (the redrive) would read it.
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-sqs.html
 */
import { createHash, randomUUID } from 'node:crypto';
import type { DeadLetterMessage, DeadLetterSource } from '../../redrive/redrive';
import { RealTimeClock, type TwinClock } from '../clock/twin-clock';

/** One message in the queue. */
export interface DeadLetterRecord {
  readonly MessageId: string;
  readonly MD5OfMessageBody: string;
  /** The message body exactly as SQS stores it. */
  readonly Body: string;
  readonly SentTimestamp: number;
}

/** The SendMessage request, after the state's Parameters are applied. */
export interface SendMessageInput {
  readonly QueueUrl?: unknown;
  readonly MessageBody?: unknown;
}

/** An SQS error as Step Functions names it. */
export class SqsServiceError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * Largest message SQS accepts: 1 MiB since August 2025 (256 KiB before).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/** Characters SQS allows in a message. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html */
const INVALID_CHARACTER = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** The queue. It is also a {@link DeadLetterSource}, so `redrive()` reads it as it reads SQS. */
export class DeadLetterStore implements DeadLetterSource {
  private readonly messages: DeadLetterRecord[] = [];
  /** Received and not yet acknowledged: invisible to the next receive, as SQS's visibility timeout makes them. */
  private readonly inFlight = new Set<string>();

  /** @param clock the twin clock that dates messages (SentTimestamp); the wall clock by default */
  constructor(
    readonly queueUrl: string,
    private readonly clock: TwinClock = new RealTimeClock(),
  ) {}

  /** Every message sent, in order. */
  get records(): readonly DeadLetterRecord[] {
    return this.messages;
  }

  /** Up to `max` messages that are not in flight; they stay in flight until acknowledged or released. */
  async receive(max: number): Promise<readonly DeadLetterMessage[]> {
    const ready = this.messages.filter((m) => !this.inFlight.has(m.MessageId)).slice(0, max);
    for (const m of ready) this.inFlight.add(m.MessageId);
    return ready.map((m) => ({ receipt: m.MessageId, body: m.Body }));
  }

  /** Deletes a delivered message. */
  async acknowledge(receipt: string): Promise<void> {
    const index = this.messages.findIndex((m) => m.MessageId === receipt);
    if (index >= 0) this.messages.splice(index, 1);
    this.inFlight.delete(receipt);
  }

  /** Makes every in-flight message visible again, as the end of SQS's visibility timeout does. */
  releaseInFlight(): void {
    this.inFlight.clear();
  }

  /** The bodies, parsed as JSON. */
  parsedBodies(): unknown[] {
    return this.messages.map((m) => JSON.parse(m.Body) as unknown);
  }

  /**
   * SendMessage as the optimized integration performs it: a MessageBody given as JSON is serialized to a string.
   * Returns the integration's result.
   */
  sendMessage(input: SendMessageInput): { MessageId: string; MD5OfMessageBody: string; SdkResponseMetadata: { RequestId: string } } {
    if (input.QueueUrl !== this.queueUrl) {
      throw new SqsServiceError('SQS.QueueDoesNotExistException', `The specified queue does not exist: ${String(input.QueueUrl)}`);
    }
    const body = typeof input.MessageBody === 'string' ? input.MessageBody : JSON.stringify(input.MessageBody);
    if (body === undefined || body.length === 0) throw new SqsServiceError('SQS.AmazonSQSException', 'The request must contain the parameter MessageBody.');
    if (Buffer.byteLength(body, 'utf8') > MAX_MESSAGE_BYTES) {
      throw new SqsServiceError('SQS.AmazonSQSException', `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`);
    }
    if (INVALID_CHARACTER.test(body)) throw new SqsServiceError('SQS.InvalidMessageContentsException', 'Invalid characters found in the message body.');
    const record: DeadLetterRecord = {
      MessageId: randomUUID(),
      MD5OfMessageBody: createHash('md5').update(body, 'utf8').digest('hex'),
      Body: body,
      SentTimestamp: this.clock.now(),
    };
    this.messages.push(record);
    return { MessageId: record.MessageId, MD5OfMessageBody: record.MD5OfMessageBody, SdkResponseMetadata: { RequestId: randomUUID() } };
  }
}
