/** A query's status derived from what Step Functions and Athena recorded (handler/api/query-status.ts, pure). */
import { CANCELLED_BEFORE_START_REASON } from '../../constructs/builders/asl';
import type { ExecutionFacts, HistoryFact } from '../../handler/api/aws';
import { deriveQueryStatus, needsLiveQuery, type StatusFacts, startedQueryId } from '../../handler/api/query-status';
import { webhookIdFor } from '../../handler/webhook-id';

const ARN = 'arn:aws:states:us-east-1:123456789012:execution:queries:q1';
const START = new Date('2026-11-30T10:00:00.000Z');
const QUERY_ID = 'a1b2c3d4-0000-4000-8000-000000000001';

let nextId = 1;
function event(type: string, details: Partial<HistoryFact> = {}, at = START): HistoryFact {
  return { id: nextId++, type, timestamp: at, ...details };
}
const startRefused = () => event('TaskFailed', { resourceType: 'athena', resource: 'startQueryExecution.sync', error: 'Athena.TooManyRequestsException' });
const started = () => event('TaskSubmitted', { resourceType: 'athena', resource: 'startQueryExecution.sync', output: JSON.stringify({ QueryExecutionId: QUERY_ID }) });
const delivering = (outcome: object, at = new Date('2026-11-30T10:05:00.000Z')) =>
  event('TaskScheduled', { resourceType: 'lambda', resource: 'invoke', parameters: JSON.stringify({ FunctionName: 'f', Payload: { ExecutionArn: ARN, QueryOutcome: outcome } }) }, at);
const deliveryFailed = (message: string) => event('TaskFailed', { resourceType: 'lambda', resource: 'invoke', error: 'CallbackRejectedError', cause: JSON.stringify({ errorType: 'CallbackRejectedError', errorMessage: message }) });
const delivered = (at: Date) => event('TaskSucceeded', { resourceType: 'lambda', resource: 'invoke', output: '{}' }, at);

function facts(execution: Partial<ExecutionFacts>, history: HistoryFact[], extra: Partial<StatusFacts> = {}): StatusFacts {
  return { queryId: 'q1', execution: { executionArn: ARN, status: 'RUNNING', startDate: START, ...execution }, history, ...extra };
}

const succeeded = {
  QueryExecution: {
    QueryExecutionId: QUERY_ID,
    Status: { State: 'SUCCEEDED', SubmissionDateTime: START.getTime() + 100, CompletionDateTime: START.getTime() + 60_000 },
    Statistics: { DataScannedInBytes: 42, ResultReuseInformation: { ReusedPreviousResult: true } },
    ResultConfiguration: { OutputLocation: `s3://b/p/${QUERY_ID}.csv` },
  },
};

describe('Function: deriveQueryStatus', () => {
  it('is QUEUED, with why, while StartQueryExecution is refused and retried', () => {
    // WHEN
    const status = deriveQueryStatus(facts({}, [startRefused(), startRefused()]));

    // THEN
    expect(status).toEqual({
      queryId: 'q1',
      executionArn: ARN,
      status: 'QUEUED',
      startDate: START.toISOString(),
      stateChangeReason: 'Waiting to start: Athena refused StartQueryExecution 2 times (last: Athena.TooManyRequestsException); Step Functions retries with backoff.',
      callback: { status: 'pending', webhookId: webhookIdFor(ARN), attempts: 0 },
    });
  });

  it("is Athena's state once the query started and no outcome is recorded", () => {
    // WHEN
    const status = deriveQueryStatus(facts({}, [started()], { query: { queryExecutionId: QUERY_ID, state: 'RUNNING', statistics: { DataScannedInBytes: 7 } } }));

    // THEN
    expect(status).toMatchObject({ status: 'RUNNING', queryExecutionId: QUERY_ID, statistics: { DataScannedInBytes: 7 } });
    expect(status.stopDate).toBeUndefined();
  });

  it('is the outcome handed to the callbacker once there is one, whatever Athena says now', () => {
    // WHEN
    const status = deriveQueryStatus(facts({}, [started(), delivering(succeeded)], { query: { queryExecutionId: QUERY_ID, state: 'RUNNING' } }));

    // THEN
    expect(status).toMatchObject({
      status: 'SUCCEEDED',
      queryExecutionId: QUERY_ID,
      stopDate: new Date(START.getTime() + 60_000).toISOString(),
      statistics: { DataScannedInBytes: 42, ResultReuseInformation: { ReusedPreviousResult: true } },
      callback: { status: 'pending', attempts: 1 },
    });
  });

  it('is FAILED with the reason for a query that timed out', () => {
    // WHEN
    const status = deriveQueryStatus(facts({}, [started(), delivering({ Error: 'States.Timeout', Cause: 'Task timed out after 1800 seconds' })]));

    // THEN
    expect(status).toMatchObject({ status: 'FAILED', stateChangeReason: 'States.Timeout: Task timed out after 1800 seconds', queryExecutionId: QUERY_ID });
  });

  it('is CANCELLED with the cancellation reason when the execution was stopped and the cancellation machine delivers', () => {
    // WHEN
    const stop = new Date('2026-11-30T10:01:00.000Z');
    const status = deriveQueryStatus(
      facts({ status: 'ABORTED', stopDate: stop, error: 'QueryCancelled' }, [startRefused()], {
        cancellation: { execution: { executionArn: `${ARN}-c`, status: 'SUCCEEDED', startDate: stop }, history: [delivering({}, stop), delivered(stop)] },
      }),
    );

    // THEN
    expect(status).toMatchObject({ status: 'CANCELLED', stopDate: stop.toISOString(), stateChangeReason: CANCELLED_BEFORE_START_REASON, callback: { status: 'delivered', attempts: 1, deliveredAt: stop.toISOString(), webhookId: webhookIdFor(ARN) } });
  });

  it('is CANCELLED with no callback when the execution was stopped outside the API', () => {
    // WHEN
    const status = deriveQueryStatus(facts({ status: 'ABORTED', stopDate: START, error: 'Operator', cause: 'stopped by hand' }, []));

    // THEN
    expect(status).toMatchObject({ status: 'CANCELLED', stateChangeReason: 'The execution was stopped before Athena started the query (Operator: stopped by hand).', callback: { status: 'not-applicable' } });
  });

  it('is FAILED when the execution ended before any outcome', () => {
    // WHEN
    const status = deriveQueryStatus(facts({ status: 'FAILED', stopDate: START, error: 'States.Runtime', cause: 'bad path' }, []));

    // THEN
    expect(status).toMatchObject({ status: 'FAILED', stateChangeReason: 'The execution ended FAILED before the query had an outcome: States.Runtime: bad path' });
  });

  it('reports a callback dead-lettered with its attempts and last error', () => {
    // WHEN
    const status = deriveQueryStatus(
      facts({ status: 'FAILED', error: 'CallbackDeliveryFailed' }, [started(), delivering(succeeded), deliveryFailed('answered 500'), delivering(succeeded), deliveryFailed('answered 410 Gone')]),
    );

    // THEN
    expect(status).toMatchObject({ status: 'SUCCEEDED', callback: { status: 'dead-lettered', attempts: 2, lastError: 'CallbackRejectedError: answered 410 Gone' } });
  });
});

describe('Functions: startedQueryId, needsLiveQuery', () => {
  it('reads the id StartQueryExecution answered, and asks Athena only until an outcome is recorded', () => {
    expect(startedQueryId([startRefused()])).toBeUndefined();
    expect(startedQueryId([startRefused(), started()])).toBe(QUERY_ID);
    expect(needsLiveQuery([started()])).toBe(QUERY_ID);
    expect(needsLiveQuery([started(), delivering(succeeded)])).toBeUndefined();
  });
});
