/**
 * The dead-letter queue: what the state machine's `sqs:sendMessage` Task puts there, kept in memory in the shape an
 * SQS consumer (the redrive) would read it.
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-sqs.html
 */
import { createHash, randomUUID } from 'node:crypto';

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

/** The queue. */
export class DeadLetterStore {
  private readonly messages: DeadLetterRecord[] = [];

  constructor(readonly queueUrl: string) {}

  /** Every message sent, in order. */
  get records(): readonly DeadLetterRecord[] {
    return this.messages;
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
      SentTimestamp: Date.now(),
    };
    this.messages.push(record);
    return { MessageId: record.MessageId, MD5OfMessageBody: record.MD5OfMessageBody, SdkResponseMetadata: { RequestId: randomUUID() } };
  }
}
