import {
  type AslPayload,
  type AslState,
  type AslTaskState,
  buildCancellationDefinition,
  buildQueryDefinition,
  CANCELLED_BEFORE_START_REASON,
  DEAD_LETTER_WRITE_FAILED_ERROR,
  DEFAULT_ATHENA_ERROR_RETRY,
  DEFAULT_ATHENA_THROTTLE_RETRY,
  DEFAULT_CALLBACK_RETRY,
  integrationArn,
  LAMBDA_SERVICE_ERRORS,
  MAX_DEAD_LETTER_RECORD_BYTES,
  QUERY_EXECUTION_FIELDS_KEPT,
  type QueryDefinitionOptions,
  RETRY_AFTER_ERROR,
  STATE_NAMES,
  TRANSITIONS_PER_SUCCESSFUL_QUERY,
} from '../../constructs/builders/asl';
import { RETRYABLE_CALLBACK_ERRORS } from '../../constructs/query-state-machine';

const options: QueryDefinitionOptions = {
  partition: 'aws-cn',
  workGroup: 'analytics',
  outputLocation: 's3://results/athena/',
  queryTimeoutSeconds: 900,
  callbackerFunctionArn: 'arn:aws-cn:lambda:cn-north-1:123456789012:function:x-callbacker',
  deadLetterQueueUrl: 'https://sqs.cn-north-1.amazonaws.com.cn/123456789012/x-callback-dlq',
  retryableCallbackErrors: RETRYABLE_CALLBACK_ERRORS,
  athenaThrottleRetry: DEFAULT_ATHENA_THROTTLE_RETRY,
  athenaErrorRetry: DEFAULT_ATHENA_ERROR_RETRY,
  callbackRetry: DEFAULT_CALLBACK_RETRY,
};

function task(definition: { States: Readonly<Record<string, AslState>> }, name: string): AslTaskState {
  const state = definition.States[name];
  if (state.Type !== 'Task') throw new Error(`${name} is not a Task`);
  return state;
}

describe('buildQueryDefinition', () => {
  it('chooses the start state by whether the caller gave ExecutionParameters', () => {
    // WHEN
    const definition = buildQueryDefinition(options);
    // THEN
    expect(definition.StartAt).toBe(STATE_NAMES.hasExecutionParameters);
    expect(definition.States[STATE_NAMES.hasExecutionParameters]).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.ExecutionParameters', IsPresent: true, Next: STATE_NAMES.startParameterizedQuery }],
      Default: STATE_NAMES.startQuery,
    });
  });

  it.each([STATE_NAMES.startQuery, STATE_NAMES.startParameterizedQuery])('%s starts the query with the partition-aware athena .sync integration', (name) => {
    // WHEN
    const definition = buildQueryDefinition(options);
    // THEN
    expect(task(definition, name).Resource).toBe('arn:aws-cn:states:::athena:startQueryExecution.sync');
  });

  it('passes the query, workgroup, output location, result reuse and an execution-derived client request token', () => {
    // WHEN
    const { Parameters } = task(buildQueryDefinition(options), STATE_NAMES.startQuery);
    // THEN
    expect(Parameters).toEqual({
      'QueryString.$': '$.Query',
      WorkGroup: 'analytics',
      'ClientRequestToken.$': "States.Hash($$.Execution.Id, 'SHA-256')",
      ResultConfiguration: { OutputLocation: 's3://results/athena/' },
      'ResultReuseConfiguration.$': '$.ResultReuseConfiguration',
    });
  });

  it("passes the caller's ExecutionParameters in StartParameterizedQuery only, with the same retries, catch and selector", () => {
    // WHEN
    const definition = buildQueryDefinition(options);
    const plain = task(definition, STATE_NAMES.startQuery);
    const parameterized = task(definition, STATE_NAMES.startParameterizedQuery);
    // THEN
    expect(parameterized.Parameters).toEqual({ ...(plain.Parameters as AslPayload), 'ExecutionParameters.$': '$.ExecutionParameters' });
    expect({ ...parameterized, Parameters: undefined, Comment: undefined }).toEqual({ ...plain, Parameters: undefined, Comment: undefined });
  });

  it('adds the default database and SSE_KMS encryption only when given', () => {
    // WHEN
    const { Parameters } = task(
      buildQueryDefinition({ ...options, database: 'sales', resultsKmsKeyArn: 'arn:aws-cn:kms:cn-north-1:123456789012:key/k' }),
      STATE_NAMES.startQuery,
    );
    // THEN
    // Literal inputs: the builder decides, no deferred node.
    const parameters = Parameters as AslPayload;
    expect(parameters.QueryExecutionContext).toEqual({ Database: 'sales' });
    expect(parameters.ResultConfiguration).toEqual({
      OutputLocation: 's3://results/athena/',
      EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: 'arn:aws-cn:kms:cn-north-1:123456789012:key/k' },
    });
  });

  it('retries Athena throttling and internal errors with bounded, jittered exponential backoff', () => {
    // WHEN
    const { Retry } = task(buildQueryDefinition(options), STATE_NAMES.startQuery);
    // THEN
    expect(Retry).toEqual([
      { ErrorEquals: ['Athena.TooManyRequestsException', 'Athena.ThrottlingException'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 120, MaxDelaySeconds: 30, JitterStrategy: 'FULL' },
      { ErrorEquals: ['Athena.InternalServerException'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 5, MaxDelaySeconds: 60, JitterStrategy: 'FULL' },
    ]);
  });

  it('times the query out after queryTimeoutSeconds', () => {
    expect(task(buildQueryDefinition(options), STATE_NAMES.startQuery).TimeoutSeconds).toBe(900);
  });

  it('routes every query failure to the callbacker through WrapQueryFailure', () => {
    // WHEN
    const definition = buildQueryDefinition(options);
    // THEN
    expect(task(definition, STATE_NAMES.startQuery).Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: STATE_NAMES.wrapQueryFailure }]);
    expect(definition.States[STATE_NAMES.wrapQueryFailure]).toMatchObject({
      Type: 'Pass',
      Parameters: { 'QueryOutcome.$': '$', RetryAfter: { Waits: 0 } },
      Next: STATE_NAMES.deliverCallback,
    });
  });

  it('invokes the callbacker with the execution, the callback URL from the execution input and the outcome', () => {
    // WHEN
    const deliver = task(buildQueryDefinition(options), STATE_NAMES.deliverCallback);
    // THEN
    expect(deliver.Resource).toBe(integrationArn('aws-cn', 'lambda', 'invoke', 'requestResponse'));
    expect(deliver.Parameters).toEqual({
      FunctionName: options.callbackerFunctionArn,
      Payload: {
        'ExecutionArn.$': '$$.Execution.Id',
        'ExecutionStartTime.$': '$$.Execution.StartTime',
        'CallbackUrl.$': '$$.Execution.Input.CallbackUrl',
        'QueryOutcome.$': '$.QueryOutcome',
      },
    });
    expect(deliver.End).toBe(true);
  });

  it('retries Lambda service errors and retryable callback errors, in that order', () => {
    // WHEN
    const { Retry } = task(buildQueryDefinition(options), STATE_NAMES.deliverCallback);
    // THEN
    expect(Retry?.map((r) => r.ErrorEquals)).toEqual([[...LAMBDA_SERVICE_ERRORS], [...RETRYABLE_CALLBACK_ERRORS]]);
    expect(Retry?.[1]).toMatchObject({ IntervalSeconds: 5, BackoffRate: 3, MaxAttempts: 8, MaxDelaySeconds: 900, JitterStrategy: 'FULL' });
  });

  it('routes a Retry-After to its wait loop, transient failures to RetriesExhausted and the rest to DeliveryRejected', () => {
    // WHEN
    const { Catch } = task(buildQueryDefinition(options), STATE_NAMES.deliverCallback);
    // THEN
    expect(Catch).toEqual([
      { ErrorEquals: [RETRY_AFTER_ERROR], ResultPath: '$.DeliveryError', Next: STATE_NAMES.readRetryAfter },
      { ErrorEquals: [...LAMBDA_SERVICE_ERRORS, ...RETRYABLE_CALLBACK_ERRORS], ResultPath: '$.DeliveryError', Next: STATE_NAMES.retriesExhausted },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.DeliveryError', Next: STATE_NAMES.deliveryRejected },
    ]);
  });

  it('waits the Retry-After the callbacker reported with a Wait state, counted and bounded by callbackRetry.maxAttempts', () => {
    // WHEN
    const { States } = buildQueryDefinition(options);
    // THEN
    expect(States[STATE_NAMES.readRetryAfter]).toEqual({
      Type: 'Pass',
      Comment: expect.any(String),
      Parameters: { 'Waits.$': 'States.MathAdd($.RetryAfter.Waits, 1)', 'Lambda.$': 'States.StringToJson($.DeliveryError.Cause)' },
      ResultPath: '$.RetryAfter',
      Next: STATE_NAMES.retryAfterBudgetLeft,
    });
    expect(States[STATE_NAMES.retryAfterBudgetLeft]).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.RetryAfter.Waits', NumericGreaterThan: 8, Next: STATE_NAMES.retriesExhausted }],
      Default: STATE_NAMES.parseRetryAfter,
    });
    expect(States[STATE_NAMES.parseRetryAfter]).toMatchObject({
      Parameters: { 'Waits.$': '$.RetryAfter.Waits', 'Requested.$': 'States.StringToJson($.RetryAfter.Lambda.errorMessage)' },
      Next: STATE_NAMES.waitRetryAfter,
    });
    expect(States[STATE_NAMES.waitRetryAfter]).toMatchObject({ Type: 'Wait', SecondsPath: '$.RetryAfter.Requested.RetryAfterSeconds', Next: STATE_NAMES.deliverCallback });
  });

  it('keeps only the QueryExecution fields later states read, never the query text, and starts the Retry-After count', () => {
    // WHEN
    const definition = buildQueryDefinition(options);
    // THEN
    expect(task(definition, STATE_NAMES.startQuery).ResultSelector).toEqual({
      QueryOutcome: {
        QueryExecution: {
          'QueryExecutionId.$': '$.QueryExecution.QueryExecutionId',
          'Status.$': '$.QueryExecution.Status',
          'Statistics.$': '$.QueryExecution.Statistics',
          'ResultConfiguration.$': '$.QueryExecution.ResultConfiguration',
          'WorkGroup.$': '$.QueryExecution.WorkGroup',
          'EngineVersion.$': '$.QueryExecution.EngineVersion',
        },
      },
      RetryAfter: { Waits: 0 },
    });
    expect(QUERY_EXECUTION_FIELDS_KEPT).not.toContain('Query');
    expect(QUERY_EXECUTION_FIELDS_KEPT).not.toContain('ExecutionParameters');
  });

  it('costs three transitions per successful query: the Choice, the start and the delivery', () => {
    expect(TRANSITIONS_PER_SUCCESSFUL_QUERY).toBe(3);
  });

  it.each([
    [STATE_NAMES.retriesExhausted, 'RetriesExhausted'],
    [STATE_NAMES.deliveryRejected, 'PermanentFailure'],
  ])('%s builds a record of pointers and our own text only: no query, no callback URL, no outcome', (name, kind) => {
    // WHEN
    const state = buildQueryDefinition(options).States[name];
    // THEN
    expect(state).toMatchObject({
      Type: 'Pass',
      Parameters: {
        DeadLetterRecord: {
          RecordVersion: 2,
          'ExecutionArn.$': '$$.Execution.Id',
          'ExecutionStartTime.$': '$$.Execution.StartTime',
          'StateMachineArn.$': '$$.StateMachine.Id',
          Failure: { Kind: kind, MaxAttempts: 9 },
          'LastError.$': '$.DeliveryError',
        },
      },
      Next: STATE_NAMES.recordDeadLetter,
    });
    expect(JSON.stringify(state)).not.toMatch(/Query|Callback|Input/);
  });

  it('writes the record to the dead-letter queue and fails the execution with CallbackDeliveryFailed', () => {
    // WHEN
    const definition = buildQueryDefinition(options);
    const record = task(definition, STATE_NAMES.recordDeadLetter);
    // THEN
    expect(record.Resource).toBe('arn:aws-cn:states:::sqs:sendMessage');
    expect(record.Parameters).toEqual({ QueueUrl: options.deadLetterQueueUrl, 'MessageBody.$': '$.DeadLetterRecord' });
    expect(record.Next).toBe(STATE_NAMES.deliveryFailed);
    expect(definition.States[STATE_NAMES.deliveryFailed]).toMatchObject({ Type: 'Fail', Error: 'CallbackDeliveryFailed' });
  });

  it('ends in CallbackDeadLetterWriteFailed with the rendered record as the Cause when the dead-letter write fails', () => {
    // WHEN
    const definition = buildQueryDefinition(options);
    // THEN
    expect(task(definition, STATE_NAMES.recordDeadLetter).Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: STATE_NAMES.renderUnrecordedDelivery }]);
    expect(definition.States[STATE_NAMES.renderUnrecordedDelivery]).toMatchObject({
      Type: 'Pass',
      Parameters: { 'Record.$': 'States.JsonToString($.DeadLetterRecord)' },
      Next: STATE_NAMES.deadLetterWriteFailed,
    });
    expect(definition.States[STATE_NAMES.deadLetterWriteFailed]).toEqual({
      Type: 'Fail',
      Comment: expect.any(String),
      Error: DEAD_LETTER_WRITE_FAILED_ERROR,
      CausePath: '$.Record',
    });
  });

  it('bounds the record below both the SQS message limit and the Step Functions payload limit', () => {
    expect(MAX_DEAD_LETTER_RECORD_BYTES).toBe(202048);
    expect(MAX_DEAD_LETTER_RECORD_BYTES).toBeLessThan(256 * 1024);
  });

  it('does not poll: the only Wait is reached from a CallbackRetryAfterError, the only other Choice bounds it', () => {
    // WHEN
    const { States } = buildQueryDefinition(options);
    const next = (state: AslState): string[] =>
      state.Type === 'Choice' ? [...state.Choices.map((c) => c.Next), state.Default] : 'Next' in state && state.Next !== undefined ? [state.Next] : [];
    const into = (target: string) => Object.entries(States).filter(([, state]) => next(state).includes(target) || (state.Type === 'Task' && (state.Catch ?? []).some((c) => c.Next === target)));
    // THEN
    expect(Object.entries(States).filter(([, s]) => s.Type === 'Wait').map(([n]) => n)).toEqual([STATE_NAMES.waitRetryAfter]);
    expect(Object.entries(States).filter(([, s]) => s.Type === 'Choice').map(([n]) => n)).toEqual([STATE_NAMES.hasExecutionParameters, STATE_NAMES.retryAfterBudgetLeft]);
    expect(into(STATE_NAMES.readRetryAfter).map(([n]) => n)).toEqual([STATE_NAMES.deliverCallback]);
  });

  it('keeps every retry bounded: capped delays that add up to less than an hour', () => {
    // WHEN
    const retriers = Object.values(buildQueryDefinition(options).States).flatMap((s) => (s.Type === 'Task' ? (s.Retry ?? []) : []));
    // THEN
    for (const r of retriers) {
      expect(r.MaxDelaySeconds).toBeDefined();
      const longestWait = Array.from({ length: r.MaxAttempts }, (_, n) => Math.min(r.MaxDelaySeconds ?? Infinity, r.IntervalSeconds * r.BackoffRate ** n)).reduce((a, b) => a + b, 0);
      expect(longestWait).toBeLessThan(3600);
    }
  });

  it('waits about 29 minutes on average, 58 at most, for a slot under the Athena quota', () => {
    // GIVEN full jitter: each wait is uniform from 0 to the capped backoff, so half of it on average
    const { intervalSeconds, backoffRate, maxAttempts, maxDelaySeconds } = DEFAULT_ATHENA_THROTTLE_RETRY;
    const capped = Array.from({ length: maxAttempts }, (_, n) => Math.min(maxDelaySeconds, intervalSeconds * backoffRate ** n));
    // WHEN
    const longest = capped.reduce((a, b) => a + b, 0);
    // THEN
    expect(Math.round(longest / 60)).toBe(58);
    expect(Math.round(longest / 2 / 60)).toBe(29);
  });
});

describe('buildCancellationDefinition', () => {
  const cancellation = buildCancellationDefinition(options);

  it('builds the CANCELLED outcome, completed when the cancellation started, then delivers it', () => {
    // THEN
    expect(cancellation.StartAt).toBe(STATE_NAMES.buildCancelledOutcome);
    expect(cancellation.States[STATE_NAMES.buildCancelledOutcome]).toMatchObject({
      Type: 'Pass',
      Parameters: {
        QueryOutcome: { QueryExecution: { Status: { State: 'CANCELLED', StateChangeReason: CANCELLED_BEFORE_START_REASON, 'CompletionDateTime.$': '$$.Execution.StartTime' } } },
        RetryAfter: { Waits: 0 },
      },
      Next: STATE_NAMES.deliverCallback,
    });
  });

  it('delivers as the stopped execution: its ARN, start time and callback URL come from the input', () => {
    // THEN
    expect(task(cancellation, STATE_NAMES.deliverCallback).Parameters).toEqual({
      FunctionName: options.callbackerFunctionArn,
      Payload: {
        'ExecutionArn.$': '$$.Execution.Input.ExecutionArn',
        'ExecutionStartTime.$': '$$.Execution.Input.ExecutionStartTime',
        'CallbackUrl.$': '$$.Execution.Input.CallbackUrl',
        'QueryOutcome.$': '$.QueryOutcome',
      },
    });
  });

  it('shares every delivery, retry and dead-letter state with the query machine, the record naming its own execution', () => {
    // GIVEN
    const query = buildQueryDefinition(options);
    const shared = Object.keys(cancellation.States).filter((name) => name !== STATE_NAMES.buildCancelledOutcome && name !== STATE_NAMES.deliverCallback);
    // THEN
    expect(shared.sort()).toEqual(
      [
        STATE_NAMES.readRetryAfter,
        STATE_NAMES.retryAfterBudgetLeft,
        STATE_NAMES.parseRetryAfter,
        STATE_NAMES.waitRetryAfter,
        STATE_NAMES.retriesExhausted,
        STATE_NAMES.deliveryRejected,
        STATE_NAMES.recordDeadLetter,
        STATE_NAMES.deliveryFailed,
        STATE_NAMES.renderUnrecordedDelivery,
        STATE_NAMES.deadLetterWriteFailed,
      ].sort(),
    );
    for (const name of shared) expect(cancellation.States[name]).toEqual(query.States[name]);
    expect({ ...task(cancellation, STATE_NAMES.deliverCallback), Parameters: undefined }).toEqual({ ...task(query, STATE_NAMES.deliverCallback), Parameters: undefined });
  });

  it('reads no query and touches no Athena', () => {
    expect(JSON.stringify(cancellation)).not.toMatch(/athena|\$\.Query"/);
  });
});

describe('RETRYABLE_CALLBACK_ERRORS', () => {
  it("holds every retryable error the handler throws, plus the Lambda runtime's transient failures", () => {
    // The construct cannot import the handler (it ships as sources for bundling), so this pins the two lists together.
    const { RETRYABLE_ERROR_NAMES, PERMANENT_ERROR_NAMES, RETRY_AFTER_ERROR_NAME } = jest.requireActual<typeof import('../../handler/errors')>('../../handler/errors');
    expect([...RETRYABLE_CALLBACK_ERRORS].sort()).toEqual([...RETRYABLE_ERROR_NAMES, 'Sandbox.Timedout', 'Lambda.Unknown'].sort());
    expect(RETRYABLE_CALLBACK_ERRORS.filter((name) => (PERMANENT_ERROR_NAMES as readonly string[]).includes(name))).toEqual([]);
    expect(RETRY_AFTER_ERROR).toBe(RETRY_AFTER_ERROR_NAME);
    expect(RETRYABLE_CALLBACK_ERRORS).not.toContain(RETRY_AFTER_ERROR);
  });
});
