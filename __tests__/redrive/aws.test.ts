/** The redrive's SQS adapter on moto's SQS, the real protocol: receive, visibility, delete. */
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomBytes } from 'node:crypto';
import { SqsDeadLetterSource } from '../../redrive/aws';
import { type MotoServer, motoServer } from '../../twin/sqs/moto-server';

let moto: MotoServer;
let sqs: SQSClient;

beforeAll(async () => {
  moto = await motoServer();
  sqs = new SQSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'AKIAREDRIVETEST00000', secretAccessKey: 'x' } });
});

afterAll(async () => {
  sqs?.destroy();
  await moto?.close();
});

async function queueWith(count: number): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `redrive-${randomBytes(4).toString('hex')}` }));
  for (let i = 0; i < count; i++) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `{"n":${i}}` }));
  return QueueUrl as string;
}

async function inQueue(queueUrl: string): Promise<number> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
}

describe('Class: SqsDeadLetterSource', () => {
  it('receives at most 10 messages a call, with their ids, bodies and receipts', async () => {
    // GIVEN
    const source = new SqsDeadLetterSource(sqs, await queueWith(12));

    // WHEN
    const batch = await source.receive(50);

    // THEN
    expect(batch.length).toBeGreaterThan(0);
    expect(batch.length).toBeLessThanOrEqual(10);
    for (const message of batch) expect(message).toEqual({ id: expect.any(String), receipt: expect.any(String), body: expect.stringMatching(/^\{"n":\d+\}$/) });
  });

  it('hides received messages for the visibility timeout, so one run does not see a message twice', async () => {
    // GIVEN
    const source = new SqsDeadLetterSource(sqs, await queueWith(1), 300);

    // WHEN
    const first = await source.receive(10);
    const second = await source.receive(10);

    // THEN
    expect(first).toHaveLength(1);
    expect(second).toEqual([]);
  });

  it('deletes an acknowledged message and keeps the others', async () => {
    // GIVEN
    const queueUrl = await queueWith(2);
    const source = new SqsDeadLetterSource(sqs, queueUrl, 0);
    const [first] = await source.receive(1);

    // WHEN
    await source.acknowledge(first.receipt);

    // THEN
    expect(await inQueue(queueUrl)).toBe(1);
  });
});
