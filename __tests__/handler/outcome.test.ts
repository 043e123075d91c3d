import { InvalidDeliveryRequestError } from '../../handler/errors';
import { MAX_REASON_LENGTH, normaliseOutcome, toEpochMillis, truncate } from '../../handler/outcome';
import { parseDeliveryRequest } from '../../handler/request';

const START = Date.parse('2026-11-25T10:00:00.000Z');
const NOW = Date.parse('2026-11-25T10:05:00.000Z');

function queryExecution(status: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    QueryExecution: {
      QueryExecutionId: 'a1b2c3d4-0000-4000-8000-000000000001',
      Status: { SubmissionDateTime: 1645062485193, CompletionDateTime: 1645062487295, ...status },
      ResultConfiguration: { OutputLocation: 's3://results-bucket/athena/a1b2c3d4-0000-4000-8000-000000000001.csv' },
      ...extra,
    },
  };
}

describe('normaliseOutcome', () => {
  it('reads a SUCCEEDED success shape with its timestamps, id, location and statistics', () => {
    // GIVEN
    const statistics = { DataScannedInBytes: 123, EngineExecutionTimeInMillis: 456, TotalExecutionTimeInMillis: 789 };
    const outcome = queryExecution({ State: 'SUCCEEDED' }, { Statistics: statistics });

    // WHEN
    const normalised = normaliseOutcome(outcome, START, NOW);

    // THEN
    expect(normalised).toEqual({
      state: 'SUCCEEDED',
      submissionDateTime: 1645062485193,
      completionDateTime: 1645062487295,
      queryExecutionId: 'a1b2c3d4-0000-4000-8000-000000000001',
      outputLocation: 's3://results-bucket/athena/a1b2c3d4-0000-4000-8000-000000000001.csv',
      statistics,
    });
  });

  it('converts ISO timestamps and epoch seconds to epoch milliseconds', () => {
    // GIVEN
    const outcome = queryExecution({ State: 'SUCCEEDED', SubmissionDateTime: '2022-02-17T01:48:05.193Z', CompletionDateTime: 1645062487.295 });

    // WHEN
    const normalised = normaliseOutcome(outcome, START, NOW);

    // THEN
    expect([normalised.submissionDateTime, normalised.completionDateTime]).toEqual([1645062485193, 1645062487295]);
  });

  it('reads a FAILED query from a JSON Cause, with its reason and timestamps', () => {
    // GIVEN
    const cause = JSON.stringify(
      queryExecution({ State: 'FAILED', StateChangeReason: "line 1:8: Column 'nope' cannot be resolved" }, { Statistics: { DataScannedInBytes: 0 } }),
    );

    // WHEN
    const normalised = normaliseOutcome({ Error: 'States.TaskFailed', Cause: cause }, START, NOW);

    // THEN
    expect(normalised).toEqual({
      state: 'FAILED',
      submissionDateTime: 1645062485193,
      completionDateTime: 1645062487295,
      stateChangeReason: "line 1:8: Column 'nope' cannot be resolved",
      queryExecutionId: 'a1b2c3d4-0000-4000-8000-000000000001',
      outputLocation: 's3://results-bucket/athena/a1b2c3d4-0000-4000-8000-000000000001.csv',
      statistics: { DataScannedInBytes: 0 },
    });
  });

  it('reads a CANCELLED query from a JSON Cause without a reason', () => {
    // GIVEN
    const cause = JSON.stringify(queryExecution({ State: 'CANCELLED' }));

    // WHEN
    const normalised = normaliseOutcome({ Error: 'States.TaskFailed', Cause: cause }, START, NOW);

    // THEN
    expect(normalised.state).toBe('CANCELLED');
    expect(normalised).not.toHaveProperty('stateChangeReason');
    expect(normalised.queryExecutionId).toBe('a1b2c3d4-0000-4000-8000-000000000001');
  });

  it('uses AthenaError.ErrorMessage when the status has no StateChangeReason', () => {
    // GIVEN
    const cause = JSON.stringify(queryExecution({ State: 'FAILED', AthenaError: { ErrorCategory: 2, ErrorType: 1301, ErrorMessage: 'SYNTAX_ERROR' } }));

    // WHEN
    const normalised = normaliseOutcome({ Error: 'States.TaskFailed', Cause: cause }, START, NOW);

    // THEN
    expect(normalised.stateChangeReason).toBe('SYNTAX_ERROR');
  });

  it.each([
    ['a non-JSON cause', 'States.Timeout', 'The task timed out.', 'States.Timeout: The task timed out.'],
    [
      'a throttling cause',
      'Athena.TooManyRequestsException',
      'Rate exceeded (Service: Athena, Status Code: 400, Request ID: 0f1e)',
      'Athena.TooManyRequestsException: Rate exceeded (Service: Athena, Status Code: 400, Request ID: 0f1e)',
    ],
    ['JSON that is not a query execution', 'Lambda.Unknown', '{"errorType":"Boom"}', 'Lambda.Unknown: {"errorType":"Boom"}'],
    [
      'a query execution JSON that is not FAILED or CANCELLED',
      'States.TaskFailed',
      '{"QueryExecution":{"Status":{"State":"RUNNING"}}}',
      'States.TaskFailed: {"QueryExecution":{"Status":{"State":"RUNNING"}}}',
    ],
    ['no cause', 'States.Timeout', undefined, 'States.Timeout'],
  ])('turns %s into FAILED with "Error: Cause" and no query id', (_label, error, cause, reason) => {
    // GIVEN
    const outcome = cause === undefined ? { Error: error } : { Error: error, Cause: cause };

    // WHEN
    const normalised = normaliseOutcome(outcome, START, NOW);

    // THEN
    expect(normalised).toEqual({ state: 'FAILED', submissionDateTime: START, completionDateTime: NOW, stateChangeReason: reason });
  });

  it('truncates a long cause to MAX_REASON_LENGTH characters', () => {
    // GIVEN
    const cause = 'x'.repeat(10_000);

    // WHEN
    const normalised = normaliseOutcome({ Error: 'States.TaskFailed', Cause: cause }, START, NOW);

    // THEN
    expect(Array.from(normalised.stateChangeReason ?? '')).toHaveLength(MAX_REASON_LENGTH);
    expect(normalised.stateChangeReason?.startsWith('States.TaskFailed: xxx')).toBe(true);
    expect(normalised.stateChangeReason?.endsWith('…')).toBe(true);
  });

  it.each([
    ['QueryOutcome.QueryExecution.Status.State', queryExecution({ State: 'RUNNING' })],
    ['QueryOutcome.QueryExecution.Status', { QueryExecution: { QueryExecutionId: 'q' } }],
    ['QueryOutcome.QueryExecution.Status.SubmissionDateTime', queryExecution({ State: 'SUCCEEDED', SubmissionDateTime: 'yesterday' })],
    ['QueryOutcome.QueryExecution.QueryExecutionId', queryExecution({ State: 'SUCCEEDED' }, { QueryExecutionId: 42 })],
    ['QueryOutcome.QueryExecution', { QueryExecution: 'SUCCEEDED' }],
    ['QueryOutcome must hold', { Result: 'ok' }],
    ['QueryOutcome must hold', { Error: '' }],
  ])('rejects a malformed outcome, naming %s', (field, outcome) => {
    // GIVEN / WHEN
    const normalise = () => normaliseOutcome(outcome, START, NOW);

    // THEN
    expect(normalise).toThrow(InvalidDeliveryRequestError);
    expect(normalise).toThrow(field);
  });
});

describe('toEpochMillis', () => {
  it.each([
    [1645062485193, 1645062485193],
    [1645062485.193, 1645062485193],
    ['1645062485193', 1645062485193],
    ['2026-11-25T10:00:00.000Z', START],
    ['2026-11-25T11:00:00+01:00', START],
  ])('reads %j as %d', (value, expected) => {
    // GIVEN / WHEN
    const millis = toEpochMillis(value);

    // THEN
    expect(millis).toBe(expected);
  });

  it.each(['1 May 2026', 'soon', '', '-1', -1, Number.NaN, Number.POSITIVE_INFINITY])('refuses %j', (value) => {
    // GIVEN / WHEN
    const millis = toEpochMillis(value);

    // THEN
    expect(millis).toBeUndefined();
  });
});

describe('truncate', () => {
  it('cuts on code points, never inside a surrogate pair', () => {
    // GIVEN
    const text = '😀'.repeat(10);

    // WHEN
    const cut = truncate(text, 4);

    // THEN
    expect(cut).toBe('😀😀😀…');
  });
});

describe('parseDeliveryRequest', () => {
  const VALID = {
    ExecutionArn: 'arn:aws:states:eu-west-1:123456789012:execution:sm:exec-id',
    ExecutionStartTime: '2026-11-25T10:00:00.000Z',
    CallbackUrl: 'https://receiver.example.com/hook',
    QueryOutcome: { Error: 'States.Timeout' },
  };

  it('returns the typed fields of a valid event', () => {
    // GIVEN / WHEN
    const request = parseDeliveryRequest(VALID);

    // THEN
    expect(request).toEqual({
      executionArn: VALID.ExecutionArn,
      executionStartTime: START,
      callbackUrl: VALID.CallbackUrl,
      queryOutcome: VALID.QueryOutcome,
    });
  });

  it.each([
    ['ExecutionArn', { ExecutionArn: 'exec-id' }, '"exec-id"'],
    ['ExecutionArn', { ExecutionArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:sm' }, 'stateMachine'],
    ['ExecutionStartTime', { ExecutionStartTime: 'today' }, '"today"'],
    ['CallbackUrl', { CallbackUrl: '' }, "0 characters: ''"],
    ['CallbackUrl', { CallbackUrl: 42 }, 'a value of type number'],
    ['CallbackUrl', { CallbackUrl: `https://x.example/${'a'.repeat(5000)}` }, 'aaa...'],
    ['QueryOutcome', { QueryOutcome: 'FAILED' }, '"FAILED"'],
    ['QueryOutcome', { QueryOutcome: undefined }, 'undefined'],
  ])('rejects a bad %s and echoes the value', (field, override, echoed) => {
    // GIVEN
    const event = { ...VALID, ...override };

    // WHEN
    const parse = () => parseDeliveryRequest(event);

    // THEN
    expect(parse).toThrow(InvalidDeliveryRequestError);
    expect(parse).toThrow(new RegExp(`^${field} must .*${echoed.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it.each([
    ['a CallbackUrl over the length limit', `https://hook:pw-t0k@x.example/cb?token=t0k3n&pad=${'a'.repeat(5000)}`, "5049 characters: 'https://x.example/cb?...'"],
    ['a CallbackUrl that is an object', { url: 'https://x.example/cb?token=t0k3n' }, 'a value of type object'],
  ])('describes %s without its secret parts', (_label, callbackUrl, described) => {
    // GIVEN
    const event = { ...VALID, CallbackUrl: callbackUrl };

    // WHEN
    const parse = () => parseDeliveryRequest(event);

    // THEN
    expect(parse).toThrow(`CallbackUrl must be a string of 1 to 4096 characters, got ${described}`);
    expect(parse).not.toThrow(/t0k/);
  });

  it('rejects an event that is not an object', () => {
    // GIVEN / WHEN
    const parse = () => parseDeliveryRequest('{"ExecutionArn":"x"}');

    // THEN
    expect(parse).toThrow('The event must be a JSON object, got "{\\"ExecutionArn\\":\\"x\\"}"');
  });
});

describe('normaliseOutcome with a cause cut by Step Functions', () => {
  const longQuery = `SELECT "State":"CANCELLED" FROM t WHERE x = '${'y'.repeat(40000)}'`;
  const athenaJson = JSON.stringify({
    QueryExecution: {
      QueryExecutionId: 'qe-long-1',
      Query: longQuery,
      Status: { State: 'FAILED', StateChangeReason: 'COLUMN_NOT_FOUND: line 1:8', SubmissionDateTime: 1, CompletionDateTime: 2 },
    },
  });

  it('keeps the query execution id and says the reason was cut when the cut falls inside the query text', () => {
    // GIVEN
    const cut = athenaJson.slice(0, 32768);
    // WHEN
    const outcome = normaliseOutcome({ Error: 'States.TaskFailed', Cause: cut }, 1000, 2000);
    // THEN
    expect(outcome).toEqual({
      state: 'FAILED',
      queryExecutionId: 'qe-long-1',
      submissionDateTime: 1000,
      completionDateTime: 2000,
      stateChangeReason: expect.stringMatching(/^Athena's failure reason was cut off: .* Look up query execution qe-long-1 in Athena/),
    });
  });

  it('reads the state and reason when they come before the cut', () => {
    // GIVEN
    const reordered = `{"QueryExecution":{"QueryExecutionId":"qe-2","Status":{"State":"CANCELLED","StateChangeReason":"Query was cancelled by \\"ops\\""},"Query":"${'z'.repeat(40000)}`;
    // WHEN
    const outcome = normaliseOutcome({ Error: 'States.TaskFailed', Cause: reordered.slice(0, 32768) }, 1000, 2000);
    // THEN
    expect(outcome).toMatchObject({ state: 'CANCELLED', queryExecutionId: 'qe-2', stateChangeReason: 'Query was cancelled by "ops"' });
  });
});
