/**
 * The dead-letter queue: the state machine's `sqs:sendMessage` Task really calls SendMessage, on moto's SQS
 * (moto-server.ts). Before forwarding, the twin checks what moto does not and SQS does: the queue URL the definition
 * names, the 1 MiB size limit and SQS's character set, so a message SQS would refuse is refused here too.
 *
 * Every request to moto is work in flight on the twin clock (twin/clock/twin-clock.ts): a virtual clock cannot jump
 * while a SendMessage is on its way, so when a record is written is decided in twin time, not by moto's speed.
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-sqs.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html
 */
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { RealTimeClock, type TwinClock } from '../clock/twin-clock';
import { randomBytes, randomUUID } from 'node:crypto';
import * as net from 'node:net';
import { listenLocally, type RunningServer } from '../wiring/http-util';

/** One message the state machine wrote, as SQS stored it. */
export interface SentMessage {
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

/** An SQS error as Step Functions names it (`SQS.<exception>`). */
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

/** Characters SQS allows in a message: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF. */
const INVALID_CHARACTER = /[^\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** What the deployed queue keeps messages for (the construct's DEAD_LETTER_RETENTION_SECONDS). */
const RETENTION_SECONDS = String(14 * 24 * 3600);

/** Options of {@link DeadLetterQueue.create}. */
export interface DeadLetterQueueOptions {
  /** The queue URL as the synthesized definition names it. */
  readonly deployedQueueUrl: string;
  /** The queue name of the synthesized stack; moto's queue gets it plus a random suffix, so twins can share a server. */
  readonly queueName: string;
  /** moto's endpoint. */
  readonly endpoint: string;
  readonly region: string;
  /**
   * Fault injection, asked for each SendMessage with its body: false makes that request fail to reach SQS (the
   * connection is reset), as in an SQS outage; deciding by body lets a test take SQS away from chosen executions.
   *
   * @default always available
   */
  readonly available?: (messageBody: string) => boolean;
  /** The twin clock: send times, and moto's requests as work in flight. @default the wall clock */
  readonly clock?: TwinClock;
}

/** Credentials for moto, which accepts any; they name the twin in moto's logs. */
const MOTO_CREDENTIALS = { accessKeyId: 'AKIATWINDEADLETTERS0', secretAccessKey: 'twin-local-only' };

function stepFunctionsErrorOf(error: unknown): SqsServiceError {
  const e = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  // Errors SQS answered keep their exception name; a request that never got an answer is the SDK's client error.
  const answered = e.$metadata?.httpStatusCode !== undefined;
  const name = answered && e.name !== undefined ? e.name.replace(/Exception$/, '') + 'Exception' : 'SdkClientException';
  return new SqsServiceError(`SQS.${name}`, `${e.message ?? String(error)} (Service: Sqs)`);
}

/** The twin's dead-letter queue, on moto. */
export class DeadLetterQueue {
  private readonly log: SentMessage[] = [];

  private constructor(
    private readonly options: DeadLetterQueueOptions,
    private readonly clock: TwinClock,
    /** moto's URL of the queue: point an SQS client at {@link endpoint} and use it. */
    readonly queueUrl: string,
    private readonly client: SQSClient,
    private readonly unreachable: SQSClient,
    private readonly outage: RunningServer,
  ) {}

  /** Creates the queue in moto. */
  static async create(options: DeadLetterQueueOptions): Promise<DeadLetterQueue> {
    const clock = options.clock ?? new RealTimeClock();
    const config = { region: options.region, credentials: MOTO_CREDENTIALS, maxAttempts: 1 };
    const client = new SQSClient({ ...config, endpoint: options.endpoint });
    const name = `${options.queueName}-${randomBytes(4).toString('hex')}`.slice(-80);
    const created = await clock.track('SQS: CreateQueue', () =>
      client.send(new CreateQueueCommand({ QueueName: name, Attributes: { MessageRetentionPeriod: RETENTION_SECONDS } })),
    );
    // An outage: a listener that resets every connection, so the SDK's request really fails.
    const outage = await listenLocally(net.createServer((socket) => socket.resetAndDestroy()));
    const unreachable = new SQSClient({ ...config, endpoint: `http://127.0.0.1:${outage.port}` });
    return new DeadLetterQueue(options, clock, created.QueueUrl as string, client, unreachable, outage);
  }

  /** moto's endpoint, for SQS clients that read this queue (the redrive). */
  get endpoint(): string {
    return this.options.endpoint;
  }

  /** Every message the state machine wrote, in order, whether or not it is still in the queue. */
  get sent(): readonly SentMessage[] {
    return this.log;
  }

  /** The bodies of {@link sent}, parsed as JSON. */
  parsedBodies(): unknown[] {
    return this.log.map((m) => JSON.parse(m.Body) as unknown);
  }

  /** Messages in the queue now, visible or in flight (SQS's approximate counts, exact on moto). */
  async messageCount(): Promise<number> {
    const { Attributes } = await this.clock.track('SQS: GetQueueAttributes', () =>
      this.client.send(
        new GetQueueAttributesCommand({ QueueUrl: this.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      ),
    );
    return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
  }

  /**
   * SendMessage as the optimized integration performs it: a MessageBody given as JSON is serialized to a string.
   * Returns the integration's result; throws {@link SqsServiceError} named as Step Functions names SQS errors.
   */
  async sendMessage(input: SendMessageInput): Promise<{ MessageId: string; MD5OfMessageBody: string; SdkResponseMetadata: { RequestId: string } }> {
    if (input.QueueUrl !== this.options.deployedQueueUrl) {
      throw new SqsServiceError('SQS.QueueDoesNotExistException', `The specified queue does not exist: ${String(input.QueueUrl)}`);
    }
    const body = typeof input.MessageBody === 'string' ? input.MessageBody : JSON.stringify(input.MessageBody);
    if (body === undefined || body.length === 0) throw new SqsServiceError('SQS.AmazonSQSException', 'The request must contain the parameter MessageBody.');
    if (Buffer.byteLength(body, 'utf8') > MAX_MESSAGE_BYTES) {
      throw new SqsServiceError('SQS.AmazonSQSException', `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`);
    }
    // moto does not check SQS's character set; SQS does, before storing anything.
    if (INVALID_CHARACTER.test(body)) throw new SqsServiceError('SQS.InvalidMessageContentsException', 'Invalid characters found in the message body.');
    const client = this.options.available === undefined || this.options.available(body) ? this.client : this.unreachable;
    let answer;
    try {
      answer = await this.clock.track('SQS: SendMessage', () => client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: body })));
    } catch (error) {
      throw stepFunctionsErrorOf(error);
    }
    const message: SentMessage = { MessageId: answer.MessageId as string, MD5OfMessageBody: answer.MD5OfMessageBody as string, Body: body, SentTimestamp: this.clock.now() };
    this.log.push(message);
    return { MessageId: message.MessageId, MD5OfMessageBody: message.MD5OfMessageBody, SdkResponseMetadata: { RequestId: answer.$metadata.requestId ?? randomUUID() } };
  }

  /** Stops the outage listener and the clients (the queue stays in moto until the server stops). */
  async close(): Promise<void> {
    this.client.destroy();
    this.unreachable.destroy();
    await this.outage.close();
  }
}
