import { InvalidDeadLetterRecordError, parseDeadLetterRecord } from '../../redrive/dead-letter-record';

const ARN = 'arn:aws:states:us-east-1:123456789012:execution:q:e1';

describe('parseDeadLetterRecord', () => {
  it('reads a version-2 record as pointers: the execution, its start and its state machine', () => {
    // GIVEN
    const body = JSON.stringify({
      RecordVersion: 2,
      ExecutionArn: ARN,
      ExecutionStartTime: '2026-11-25T10:00:00.000Z',
      StateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:q',
      Failure: { Kind: 'RetriesExhausted', MaxAttempts: 9 },
      LastError: { Error: 'CallbackRetryableError', Cause: '{}' },
    });
    // WHEN
    const claims = parseDeadLetterRecord(body);
    // THEN
    expect(claims).toEqual({
      recordVersion: 2,
      executionArn: ARN,
      executionStartTime: '2026-11-25T10:00:00.000Z',
      stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:q',
      callbackUrl: undefined,
      queryOutcome: undefined,
    });
  });

  it('reads the callback URL and query outcome of a version-1 record as claims to check', () => {
    // GIVEN
    const outcome = { QueryExecution: { QueryExecutionId: 'q1', Status: { State: 'SUCCEEDED' } } };
    // WHEN
    const claims = parseDeadLetterRecord(JSON.stringify({ RecordVersion: 1, ExecutionArn: ARN, CallbackUrl: 'https://hooks.example.com/x', QueryOutcome: outcome }));
    // THEN
    expect(claims).toMatchObject({ recordVersion: 1, callbackUrl: 'https://hooks.example.com/x', queryOutcome: outcome });
  });

  it.each([
    ['not JSON', 'see https://user:pw@evil.example/?token=t', /^the message body must be a JSON object, got 41 characters that do not parse as JSON$/],
    ['a JSON array', '[1]', /^the message body must be a JSON object, got an array of 1 items$/],
    ['another version', JSON.stringify({ RecordVersion: 3, ExecutionArn: ARN }), /^RecordVersion must be 1 or 2, got 3$/],
    ['no execution', JSON.stringify({ RecordVersion: 2 }), /^ExecutionArn must be a non-empty string, got nothing$/],
    ['a callback URL that is not a string', JSON.stringify({ RecordVersion: 1, ExecutionArn: ARN, CallbackUrl: 7 }), /^CallbackUrl must be a non-empty string when present, got 7$/],
    ['an outcome of neither shape', JSON.stringify({ RecordVersion: 1, ExecutionArn: ARN, QueryOutcome: { x: 1 } }), /^QueryOutcome must hold QueryExecution or Error when present, got an object with 1 keys$/],
  ])('rejects %s, naming the field and the rule', (_name, body, message) => {
    expect(() => parseDeadLetterRecord(body)).toThrow(InvalidDeadLetterRecordError);
    expect(() => parseDeadLetterRecord(body)).toThrow(message);
  });

  it.each([
    ['in a version', { RecordVersion: 'https://u:p@x.example/?token=secret', ExecutionArn: ARN }],
    ['in a callback URL', { RecordVersion: 1, ExecutionArn: ARN, CallbackUrl: ['https://u:p@x.example/?token=secret'] }],
    ['in an execution ARN', { RecordVersion: 2, ExecutionArn: { url: 'https://u:p@x.example/?token=secret' } }],
  ])('never echoes a URL it rejects %s', (_where, record) => {
    // WHEN
    let message = '';
    try {
      parseDeadLetterRecord(JSON.stringify(record));
    } catch (error) {
      message = (error as Error).message;
    }
    // THEN
    expect(message).not.toBe('');
    expect(message).not.toMatch(/secret|u:p|x\.example/);
  });
});
