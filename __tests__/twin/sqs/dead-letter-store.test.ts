/** The dead-letter queue behind the sqs:sendMessage Task. */
import { DeadLetterStore } from '../../../twin/sqs/dead-letter-store';

const URL_OF_QUEUE = 'https://sqs.us-east-1.amazonaws.com/123456789012/dlq';

describe('Class: DeadLetterStore', () => {
  it('stores a JSON MessageBody serialized, as the optimized integration sends it', () => {
    // GIVEN
    const store = new DeadLetterStore(URL_OF_QUEUE);

    // WHEN
    const result = store.sendMessage({ QueueUrl: URL_OF_QUEUE, MessageBody: { RecordVersion: 1, Text: 'ü' } });

    // THEN
    expect(store.records).toEqual([expect.objectContaining({ MessageId: result.MessageId, Body: '{"RecordVersion":1,"Text":"ü"}' })]);
    expect(result.MD5OfMessageBody).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses another queue with SQS.QueueDoesNotExistException', () => {
    // GIVEN
    const store = new DeadLetterStore(URL_OF_QUEUE);

    // WHEN / THEN
    expect(() => store.sendMessage({ QueueUrl: `${URL_OF_QUEUE}-other`, MessageBody: 'x' })).toThrow(expect.objectContaining({ name: 'SQS.QueueDoesNotExistException' }));
  });
});
