import { InvalidDeadLetterRecordError, parseDeadLetterRecord, toDeliveryRequest } from '../../redrive/dead-letter-record';
import { type DeadLetterMessage, type DeadLetterSource, redrive } from '../../redrive/redrive';
import type { DeliveryRequest } from '../../handler/types';

const record = (executionArn: string) => ({
  RecordVersion: 1,
  ExecutionArn: executionArn,
  ExecutionStartTime: '2026-11-25T10:00:00.000Z',
  CallbackUrl: 'https://hooks.example.com/athena',
  QueryOutcome: { QueryExecution: { QueryExecutionId: 'q1', Status: { State: 'SUCCEEDED' }, ResultConfiguration: { OutputLocation: 's3://r/q1.csv' } } },
  Failure: { Kind: 'RetriesExhausted', MaxAttempts: 9 },
  LastError: { Error: 'CallbackRetryableError', Cause: '{"errorType":"CallbackRetryableError","errorMessage":"503"}' },
});

/** An in-memory queue: messages stay until acknowledged, like SQS after the visibility timeout. */
class MemorySource implements DeadLetterSource {
  readonly messages = new Map<string, string>();
  private inFlight = new Set<string>();
  constructor(bodies: readonly string[]) {
    bodies.forEach((body, i) => this.messages.set(`r${i}`, body));
  }
  async receive(max: number): Promise<readonly DeadLetterMessage[]> {
    const ready = [...this.messages].filter(([r]) => !this.inFlight.has(r)).slice(0, max);
    for (const [r] of ready) this.inFlight.add(r);
    return ready.map(([receipt, body]) => ({ receipt, body }));
  }
  async acknowledge(receipt: string): Promise<void> {
    this.messages.delete(receipt);
  }
}

describe('parseDeadLetterRecord', () => {
  it('rebuilds the delivery request the state machine first sent', () => {
    expect(toDeliveryRequest(parseDeadLetterRecord(JSON.stringify(record('arn:e1'))))).toEqual({
      ExecutionArn: 'arn:e1',
      ExecutionStartTime: '2026-11-25T10:00:00.000Z',
      CallbackUrl: 'https://hooks.example.com/athena',
      QueryOutcome: record('arn:e1').QueryOutcome,
    });
  });

  it.each([
    ['not JSON', 'nope', /the message body must be JSON, got "nope"/],
    ['another version', JSON.stringify({ ...record('a'), RecordVersion: 2 }), /RecordVersion must be 1, got 2/],
    ['no callback URL', JSON.stringify({ ...record('a'), CallbackUrl: '' }), /CallbackUrl must be a non-empty string, got ""/],
    ['an outcome of neither shape', JSON.stringify({ ...record('a'), QueryOutcome: { x: 1 } }), /QueryOutcome must hold QueryExecution or Error, got keys \["x"\]/],
  ])('rejects %s, naming the field and the value', (_name, body, message) => {
    expect(() => parseDeadLetterRecord(body)).toThrow(InvalidDeadLetterRecordError);
    expect(() => parseDeadLetterRecord(body)).toThrow(message);
  });
});

describe('redrive', () => {
  it('acknowledges delivered records and keeps the ones that fail again', async () => {
    // GIVEN
    const source = new MemorySource([JSON.stringify(record('arn:ok')), JSON.stringify(record('arn:down'))]);
    const sent: DeliveryRequest[] = [];
    const invoker = {
      deliver: async (request: DeliveryRequest) => {
        sent.push(request);
        if (request.ExecutionArn === 'arn:down') throw Object.assign(new Error('connect ECONNREFUSED'), { name: 'CallbackRetryableError' });
        return { StatusCode: 200 };
      },
    };
    // WHEN
    const report = await redrive(source, invoker);
    // THEN
    expect(report.delivered).toEqual(['arn:ok']);
    expect(report.failed).toEqual([{ executionArn: 'arn:down', error: 'CallbackRetryableError: connect ECONNREFUSED' }]);
    expect([...source.messages.values()].map((b) => JSON.parse(b).ExecutionArn)).toEqual(['arn:down']);
    expect(sent.map((r) => r.ExecutionArn)).toEqual(['arn:ok', 'arn:down']);
  });

  it('lists without delivering on a dry run', async () => {
    // GIVEN
    const source = new MemorySource([JSON.stringify(record('arn:a'))]);
    const deliver = jest.fn();
    // WHEN
    const report = await redrive(source, { deliver }, { dryRun: true });
    // THEN
    expect(report.listed).toEqual(['arn:a']);
    expect(deliver).not.toHaveBeenCalled();
    expect(source.messages.size).toBe(1);
  });

  it('reports invalid records and leaves them for an operator', async () => {
    // GIVEN
    const source = new MemorySource(['garbage']);
    // WHEN
    const report = await redrive(source, { deliver: jest.fn() });
    // THEN
    expect(report.invalid).toEqual([{ receipt: 'r0', error: expect.stringMatching(/must be JSON/) }]);
    expect(source.messages.size).toBe(1);
  });

  it('stops after maxRecords', async () => {
    // GIVEN
    const source = new MemorySource(Array.from({ length: 25 }, (_, i) => JSON.stringify(record(`arn:${i}`))));
    // WHEN
    const report = await redrive(source, { deliver: async () => ({}) }, { maxRecords: 12 });
    // THEN
    expect(report.delivered).toHaveLength(12);
    expect(source.messages.size).toBe(13);
  });
});
