import type { NormalisedOutcome } from '../../handler/outcome';
import { buildCallbackPayload } from '../../handler/payload';
import { callbackSchemaErrors } from '../support/callback-schema';

const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:sm:exec-id';

const SUCCEEDED: NormalisedOutcome = {
  state: 'SUCCEEDED',
  submissionDateTime: 1645062485193,
  completionDateTime: 1645062487295,
  queryExecutionId: 'q-1',
  outputLocation: 's3://results/q-1.csv',
  statistics: { DataScannedInBytes: 123, EngineExecutionTimeInMillis: 456, ResultReuseInformation: { ReusedPreviousResult: false } },
};

describe('buildCallbackPayload', () => {
  it('builds the SUCCEEDED body with QueryResult, id, ARN and statistics, in that order', () => {
    // GIVEN
    const presigned = { url: 'https://results.s3.us-east-1.amazonaws.com/q-1.csv?X-Amz-Signature=abc', expiredIn: 3600 };

    // WHEN
    const payload = buildCallbackPayload(SUCCEEDED, ARN, presigned);

    // THEN
    expect(JSON.stringify(payload)).toBe(
      JSON.stringify({
        State: { State: 'SUCCEEDED', SubmissionDateTime: 1645062485193, CompletionDateTime: 1645062487295 },
        QueryResult: { PresignedUrl: presigned.url, ExpiredIn: 3600 },
        QueryExecutionId: 'q-1',
        ExecutionArn: ARN,
        Statistics: SUCCEEDED.statistics,
      }),
    );
    expect(callbackSchemaErrors(payload)).toEqual([]);
  });

  it('builds a FAILED body with the reason, without QueryResult, QueryExecutionId or Statistics when unknown', () => {
    // GIVEN
    const failed: NormalisedOutcome = { state: 'FAILED', submissionDateTime: 1, completionDateTime: 2, stateChangeReason: 'States.Timeout' };

    // WHEN
    const payload = buildCallbackPayload(failed, ARN);

    // THEN
    expect(payload).toEqual({
      State: { State: 'FAILED', SubmissionDateTime: 1, CompletionDateTime: 2, StateChangeReason: 'States.Timeout' },
      ExecutionArn: ARN,
    });
    expect(callbackSchemaErrors(payload)).toEqual([]);
  });

  it.each([
    ['SUCCEEDED without a presigned result', SUCCEEDED, undefined],
    ['CANCELLED with a presigned result', { ...SUCCEEDED, state: 'CANCELLED' } as NormalisedOutcome, { url: 'https://x', expiredIn: 1 }],
  ])('refuses %s', (_label, outcome, presigned) => {
    // GIVEN / WHEN
    const build = () => buildCallbackPayload(outcome, ARN, presigned);

    // THEN
    expect(build).toThrow('A presigned result must be given exactly for SUCCEEDED queries');
  });
});

describe('callback payload schema', () => {
  const valid = {
    State: { State: 'SUCCEEDED', SubmissionDateTime: 1, CompletionDateTime: 2 },
    QueryResult: { PresignedUrl: 'https://b.s3.amazonaws.com/k?X-Amz-Signature=1', ExpiredIn: 60 },
    ExecutionArn: ARN,
  };

  it.each([
    ['an unknown top-level field', { ...valid, Extra: 1 }],
    ['an unknown State field', { ...valid, State: { ...valid.State, Status: 'SUCCEEDED' } }],
    ['an unknown QueryResult field', { ...valid, QueryResult: { ...valid.QueryResult, Url: 'x' } }],
    ['a SUCCEEDED body without QueryResult', { State: valid.State, ExecutionArn: ARN }],
    ['a FAILED body with QueryResult', { ...valid, State: { ...valid.State, State: 'FAILED' } }],
    ['an ISO timestamp', { ...valid, State: { ...valid.State, SubmissionDateTime: '2026-11-25T10:00:00Z' } }],
    ['ExpiredIn of 0', { ...valid, QueryResult: { ...valid.QueryResult, ExpiredIn: 0 } }],
    ['a State outside the three final ones', { ...valid, State: { ...valid.State, State: 'RUNNING' } }],
  ])('rejects %s', (_label, body) => {
    // GIVEN / WHEN
    const errors = callbackSchemaErrors(body);

    // THEN
    expect(errors).not.toEqual([]);
  });
});
