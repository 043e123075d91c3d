import Ajv from 'ajv-draft-04';
import {
  API_ROUTES,
  buildAccessLogFormat,
  buildRequestModel,
  CALLBACK_URL_PATTERN,
  executionInputBytes,
  executionInputOf,
  MAX_CALLBACK_URL_LENGTH,
  MAX_EXECUTION_INPUT_BYTES,
  MAX_EXECUTION_PARAMETERS,
  MAX_QUERY_BYTES,
  MAX_QUERY_CHARACTERS,
  QUERY_EXECUTION_FIELD_BYTES,
  QUERY_EXECUTION_RESERVE_BYTES,
  QUERY_ID_PATTERN,
  STEP_FUNCTIONS_PAYLOAD_BYTES,
  utf8Bytes,
} from '../../constructs/builders/api-contract';

describe('API_ROUTES', () => {
  it('serves submit on both POST paths and status, cancel and result under /queries/{id}', () => {
    // THEN
    expect(API_ROUTES.map((r) => `${r.method} ${r.path} ${r.operation}`)).toEqual([
      'POST /queries submit',
      'POST /invocation submit',
      'GET /queries/{id} status',
      'DELETE /queries/{id} cancel',
      'GET /queries/{id}/result result',
    ]);
  });
});

describe('QUERY_ID_PATTERN', () => {
  const pattern = new RegExp(QUERY_ID_PATTERN);

  it.each(['a', 'order-2026-01-31_retry', '3f9c2a1e-5b7d-4e2f-9a1c-0d8e7f6a5b4c', 'x'.repeat(80)])('accepts %s', (id) => {
    expect(pattern.test(id)).toBe(true);
  });

  it.each(['', 'x'.repeat(81), 'has space', 'slash/', 'dot.', 'colon:', 'ünïcode', 'tab\t', 'new\nline'])('refuses %j', (id) => {
    expect(pattern.test(id)).toBe(false);
  });
});

describe('executionInputOf', () => {
  it('writes the same keys in the same order, with result reuse off when not asked for', () => {
    // WHEN
    const input = executionInputOf({ Query: 'SELECT 1', CallbackUrl: 'https://a.example' });
    // THEN
    expect(JSON.stringify(input)).toBe('{"Query":"SELECT 1","CallbackUrl":"https://a.example","ResultReuseConfiguration":{"ResultReuseByAgeConfiguration":{"Enabled":false}}}');
  });

  it('turns ResultReuseMaxAgeMinutes into an enabled ResultReuseByAgeConfiguration, and 0 into a disabled one', () => {
    // WHEN
    const on = executionInputOf({ Query: 'q', CallbackUrl: 'https://a', ResultReuseMaxAgeMinutes: 60 });
    const off = executionInputOf({ Query: 'q', CallbackUrl: 'https://a', ResultReuseMaxAgeMinutes: 0 });
    // THEN
    expect(on.ResultReuseConfiguration).toEqual({ ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: 60 } });
    expect(off.ResultReuseConfiguration).toEqual({ ResultReuseByAgeConfiguration: { Enabled: false } });
  });

  it('keeps ExecutionParameters, in order, only when given', () => {
    // THEN
    expect(executionInputOf({ Query: 'q', CallbackUrl: 'https://a', ExecutionParameters: ["'b'", '1'] }).ExecutionParameters).toEqual(["'b'", '1']);
    expect('ExecutionParameters' in executionInputOf({ Query: 'q', CallbackUrl: 'https://a' })).toBe(false);
  });
});

describe('the query-size arithmetic', () => {
  it('reserves room for every field of the GetQueryExecution answer, their sum rounded up', () => {
    // WHEN
    const sum = Object.values(QUERY_EXECUTION_FIELD_BYTES).reduce((a, b) => a + b, 0);
    // THEN
    expect(sum).toBe(11893);
    expect(QUERY_EXECUTION_RESERVE_BYTES).toBeGreaterThanOrEqual(sum);
    expect(MAX_EXECUTION_INPUT_BYTES).toBe(STEP_FUNCTIONS_PAYLOAD_BYTES - QUERY_EXECUTION_RESERVE_BYTES);
    expect(MAX_EXECUTION_INPUT_BYTES).toBe(245760);
  });

  it('lets through, at most, the query of one-byte characters that exactly fills the largest input', () => {
    // GIVEN
    const largest = { Query: 'x'.repeat(MAX_QUERY_CHARACTERS), CallbackUrl: 'https://a' };
    // THEN
    expect(MAX_QUERY_CHARACTERS).toBe(245643);
    expect(executionInputBytes(largest)).toBe(MAX_EXECUTION_INPUT_BYTES);
    expect(MAX_QUERY_CHARACTERS).toBeLessThan(MAX_QUERY_BYTES);
  });

  it('counts a multi-byte or escaped character by its bytes in the input, up to 4 each', () => {
    // GIVEN
    const of = (query: string) => executionInputBytes({ Query: query, CallbackUrl: 'https://a' }) - executionInputBytes({ Query: '', CallbackUrl: 'https://a' });
    // THEN
    expect([of('a'), of('ü'), of('€'), of('😀'), of('"'), of('\\'), of('\n')]).toEqual([1, 2, 3, 4, 2, 2, 2]);
  });

  it('keeps the GetQueryExecution answer of the largest input within the payload quota, fields at their maxima', () => {
    // GIVEN an input that fills the limit exactly, and Athena's answer echoing its query and parameters
    const parameters = ["'x'"];
    const query = '"'.repeat(Math.floor((MAX_EXECUTION_INPUT_BYTES - executionInputBytes({ Query: '', CallbackUrl: 'https://a', ExecutionParameters: parameters })) / 2));
    const request = { Query: query, CallbackUrl: 'https://a', ExecutionParameters: parameters };
    const answer = {
      QueryExecution: {
        QueryExecutionId: 'i'.repeat(128),
        Query: query,
        StatementType: 'DML',
        SubstatementType: 's'.repeat(64),
        ResultConfiguration: {
          OutputLocation: `s3://${'b'.repeat(63)}/${'"'.repeat(1024 - 41)}${'i'.repeat(36)}.csv`,
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: 'k'.repeat(2048) },
          ExpectedBucketOwner: '123456789012',
          AclConfiguration: { S3AclOption: 'BUCKET_OWNER_FULL_CONTROL' },
        },
        ManagedQueryResultsConfiguration: { Enabled: false, EncryptionConfiguration: { KmsKey: 'k'.repeat(2048) } },
        ResultReuseConfiguration: { ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: 10080 } },
        QueryExecutionContext: { Database: 'd'.repeat(255), Catalog: 'c'.repeat(256) },
        ExecutionParameters: parameters,
        Status: { State: 'SUCCEEDED', SubmissionDateTime: 1796039360.493, CompletionDateTime: 1796039362.493 },
        Statistics: {
          EngineExecutionTimeInMillis: 1e12,
          DataScannedInBytes: 1e15,
          TotalExecutionTimeInMillis: 1e12,
          QueryQueueTimeInMillis: 1e12,
          ServicePreProcessingTimeInMillis: 1e12,
          QueryPlanningTimeInMillis: 1e12,
          ServiceProcessingTimeInMillis: 1e12,
          ResultReuseInformation: { ReusedPreviousResult: false },
          DpuCount: 1e6,
        },
        WorkGroup: 'w'.repeat(128),
        EngineVersion: { SelectedEngineVersion: 'e'.repeat(128), EffectiveEngineVersion: 'e'.repeat(128) },
        QueryResultsS3AccessGrantsConfiguration: { EnableS3AccessGrants: false, CreateUserLevelPrefix: false, AuthenticationType: 'DIRECTORY_IDENTITY' },
      },
      SdkHttpMetadata: { AllHttpHeaders: { 'x-amzn-RequestId': ['r'.repeat(36)], 'Content-Type': ['application/x-amz-json-1.1'] }, HttpStatusCode: 200 },
      SdkResponseMetadata: { RequestId: 'r'.repeat(36) },
    };
    // THEN
    expect(executionInputBytes(request)).toBeLessThanOrEqual(MAX_EXECUTION_INPUT_BYTES);
    expect(utf8Bytes(JSON.stringify(answer))).toBeLessThanOrEqual(STEP_FUNCTIONS_PAYLOAD_BYTES);
  });

  it('fits the most execution parameters that can ever fit, and refuses one more through the model', () => {
    // GIVEN
    const request = { Query: 'x', CallbackUrl: 'https://a', ExecutionParameters: Array(MAX_EXECUTION_PARAMETERS).fill('1') };
    // THEN
    expect(executionInputBytes(request)).toBeLessThanOrEqual(MAX_EXECUTION_INPUT_BYTES);
    expect(executionInputBytes({ ...request, ExecutionParameters: [...request.ExecutionParameters, '1'] })).toBeGreaterThan(MAX_EXECUTION_INPUT_BYTES);
  });
});

describe('buildRequestModel', () => {
  const validate = new Ajv({ strict: false }).compile(buildRequestModel());

  it('accepts the seed sample request', () => {
    expect(validate({ Query: 'SELECT "col1", "col2" FROM "database1"."tableA" limit 10', CallbackUrl: 'https://test.api' })).toBe(true);
  });

  it('accepts execution parameters and a result reuse age', () => {
    expect(validate({ Query: 'SELECT ? AS a', CallbackUrl: 'https://a.example', ExecutionParameters: ["'it''s'", '42', "DATE '2026-01-31'"], ResultReuseMaxAgeMinutes: 10080 })).toBe(true);
  });

  it.each([
    ['a missing Query', { CallbackUrl: 'https://a.example' }],
    ['a missing CallbackUrl', { Query: 'SELECT 1' }],
    ['an empty Query', { Query: '', CallbackUrl: 'https://a.example' }],
    ['a blank Query', { Query: '   \n', CallbackUrl: 'https://a.example' }],
    ['a Query that is not a string', { Query: 1, CallbackUrl: 'https://a.example' }],
    ['an oversize Query', { Query: 'x'.repeat(MAX_QUERY_BYTES + 1), CallbackUrl: 'https://a.example' }],
    ['an extra field', { Query: 'SELECT 1', CallbackUrl: 'https://a.example', Extra: true }],
    ['an array body', [{ Query: 'SELECT 1', CallbackUrl: 'https://a.example' }]],
    ['a CallbackUrl that is not a string', { Query: 'SELECT 1', CallbackUrl: { url: 'https://a.example' } }],
    ['a Query over MAX_QUERY_CHARACTERS', { Query: 'x'.repeat(MAX_QUERY_CHARACTERS + 1), CallbackUrl: 'https://a.example' }],
    ['a Query with a C0 control character', { Query: 'SELECT 1 \u0001', CallbackUrl: 'https://a.example' }],
    ['empty ExecutionParameters', { Query: 'SELECT 1', CallbackUrl: 'https://a.example', ExecutionParameters: [] }],
    ['ExecutionParameters that are not strings', { Query: 'SELECT ?', CallbackUrl: 'https://a.example', ExecutionParameters: [1] }],
    ['an empty execution parameter', { Query: 'SELECT ?', CallbackUrl: 'https://a.example', ExecutionParameters: [''] }],
    ['an execution parameter over 1024 characters', { Query: 'SELECT ?', CallbackUrl: 'https://a.example', ExecutionParameters: ['x'.repeat(1025)] }],
    ['an execution parameter with a control character', { Query: 'SELECT ?', CallbackUrl: 'https://a.example', ExecutionParameters: ["'\u0000'"] }],
    ['ExecutionParameters that are a string', { Query: 'SELECT ?', CallbackUrl: 'https://a.example', ExecutionParameters: "'a'" }],
    ['a negative ResultReuseMaxAgeMinutes', { Query: 'SELECT 1', CallbackUrl: 'https://a.example', ResultReuseMaxAgeMinutes: -1 }],
    ['a ResultReuseMaxAgeMinutes over 7 days', { Query: 'SELECT 1', CallbackUrl: 'https://a.example', ResultReuseMaxAgeMinutes: 10081 }],
    ['a fractional ResultReuseMaxAgeMinutes', { Query: 'SELECT 1', CallbackUrl: 'https://a.example', ResultReuseMaxAgeMinutes: 1.5 }],
    ['a ResultReuseMaxAgeMinutes given as text', { Query: 'SELECT 1', CallbackUrl: 'https://a.example', ResultReuseMaxAgeMinutes: '60' }],
  ])('rejects %s', (_name, body) => {
    expect(validate(body)).toBe(false);
  });

  // API Gateway's validator quotes a failing string whole, query string included: the function checks the URL.
  it.each([
    ['an http CallbackUrl', 'http://a.example/hook?token=t0k3n'],
    ['a CallbackUrl without host', 'https:///hook'],
    ['a CallbackUrl with credentials', 'https://user:pw@a.example/'],
    ['a CallbackUrl with spaces', 'https://a.example/a b'],
    ['an oversize CallbackUrl', `https://a.example/${'x'.repeat(MAX_CALLBACK_URL_LENGTH)}`],
    ['a CallbackUrl with a non-ASCII host', 'https://ü.example/'],
    ['a CallbackUrl with a control character', 'https://a.example/\u0001'],
  ])('leaves %s to the function (CALLBACK_URL_PATTERN, MAX_CALLBACK_URL_LENGTH), so the model never quotes it', (_name, url) => {
    expect(validate({ Query: 'SELECT 1', CallbackUrl: url })).toBe(true);
    expect(new RegExp(CALLBACK_URL_PATTERN).test(url) && url.length <= MAX_CALLBACK_URL_LENGTH).toBe(false);
  });

  it('accepts a Query of MAX_QUERY_CHARACTERS characters with tabs and newlines (the function then counts its bytes)', () => {
    const query = `SELECT\t1\r\n${'😀'.repeat(MAX_QUERY_CHARACTERS - 10)}`;
    expect(Array.from(query)).toHaveLength(MAX_QUERY_CHARACTERS);
    expect(validate({ Query: query, CallbackUrl: 'https://a.example:8443/hook?x=1' })).toBe(true);
  });

  it('is draft-04, the dialect API Gateway models use', () => {
    expect(buildRequestModel().$schema).toBe('http://json-schema.org/draft-04/schema#');
  });
});

describe('buildAccessLogFormat', () => {
  it('is one JSON object with the request id, caller and status', () => {
    const format = JSON.parse(buildAccessLogFormat()) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', userArn: '$context.identity.userArn', status: '$context.status' });
  });
});
