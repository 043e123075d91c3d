/** The dead-letter queue behind the sqs:sendMessage Task: SQS's checks, then moto's SQS. */
import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DeadLetterQueue, MAX_MESSAGE_BYTES } from '../../../twin/sqs/dead-letter-queue';
import { type MotoServer, motoServer } from '../../../twin/sqs/moto-server';

const DEPLOYED_URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/orders-callback-dlq';

let moto: MotoServer;
const queues: DeadLetterQueue[] = [];

beforeAll(async () => {
  moto = await motoServer();
});

afterAll(async () => {
  await Promise.all(queues.map((q) => q.close()));
  await moto.close();
});

async function queue(available?: (body: string) => boolean): Promise<DeadLetterQueue> {
  const created = await DeadLetterQueue.create({ deployedQueueUrl: DEPLOYED_URL, queueName: 'orders-callback-dlq', endpoint: moto.endpoint, region: 'us-east-1', available });
  queues.push(created);
  return created;
}

describe('Class: DeadLetterQueue', () => {
  it('sends a JSON MessageBody serialized, as the optimized integration does, to a real SQS queue', async () => {
    // GIVEN
    const dlq = await queue();

    // WHEN
    const result = await dlq.sendMessage({ QueueUrl: DEPLOYED_URL, MessageBody: { RecordVersion: 2, Text: 'ü' } });

    // THEN: what an SQS consumer receives
    const client = new SQSClient({ region: 'us-east-1', endpoint: dlq.endpoint, credentials: { accessKeyId: 'AKIATEST', secretAccessKey: 'x' } });
    const { Messages } = await client.send(new ReceiveMessageCommand({ QueueUrl: dlq.queueUrl, MaxNumberOfMessages: 10 }));
    expect(Messages?.map((m) => [m.MessageId, m.Body])).toEqual([[result.MessageId, '{"RecordVersion":2,"Text":"ü"}']]);
    expect(result.MD5OfMessageBody).toMatch(/^[0-9a-f]{32}$/);
    expect(await dlq.messageCount()).toBe(1);
    client.destroy();
  });

  it('refuses another queue with SQS.QueueDoesNotExistException', async () => {
    // GIVEN
    const dlq = await queue();

    // WHEN / THEN
    await expect(dlq.sendMessage({ QueueUrl: `${DEPLOYED_URL}-other`, MessageBody: 'x' })).rejects.toMatchObject({ name: 'SQS.QueueDoesNotExistException' });
  });

  // JSON escapes control characters and lone surrogates, so a JSON MessageBody carries only U+FFFE and U+FFFF of
  // these; a string MessageBody can carry any.
  it.each([
    ['U+FFFF in a JSON body', { Cause: 'receiver said \uffff' }],
    ['U+FFFE in a JSON body', { Cause: 'receiver said \ufffe' }],
    ['a lone surrogate', 'receiver said \ud800'],
    ['a C0 control character', 'receiver said \u0001'],
  ])('refuses %s with SQS.InvalidMessageContentsException, as SQS does (moto does not check)', async (_label, body) => {
    // GIVEN
    const dlq = await queue();

    // WHEN
    const sending = dlq.sendMessage({ QueueUrl: DEPLOYED_URL, MessageBody: body });

    // THEN
    await expect(sending).rejects.toMatchObject({ name: 'SQS.InvalidMessageContentsException' });
    expect(dlq.sent).toHaveLength(0);
    expect(await dlq.messageCount()).toBe(0);
  });

  it(`refuses a body over ${MAX_MESSAGE_BYTES} bytes`, async () => {
    // GIVEN
    const dlq = await queue();

    // WHEN / THEN
    await expect(dlq.sendMessage({ QueueUrl: DEPLOYED_URL, MessageBody: 'x'.repeat(MAX_MESSAGE_BYTES + 1) })).rejects.toMatchObject({ name: 'SQS.AmazonSQSException' });
  });

  it('fails with SQS.SdkClientException while SQS is unreachable, and sends once it is back', async () => {
    // GIVEN
    let up = false;
    const dlq = await queue(() => up);

    // WHEN
    const during = dlq.sendMessage({ QueueUrl: DEPLOYED_URL, MessageBody: 'during the outage' });

    // THEN
    await expect(during).rejects.toMatchObject({ name: 'SQS.SdkClientException' });
    up = true;
    await dlq.sendMessage({ QueueUrl: DEPLOYED_URL, MessageBody: 'after' });
    expect(dlq.sent.map((m) => m.Body)).toEqual(['after']);
  });
});
