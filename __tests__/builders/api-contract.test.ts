import Ajv from 'ajv-draft-04';
import {
  buildAccessLogFormat,
  buildIntegrationResponses,
  buildRequestModel,
  buildStartExecutionTemplate,
  MAX_QUERY_BYTES,
  MAX_QUERY_CHARACTERS,
} from '../../constructs/builders/api-contract';

describe('buildStartExecutionTemplate', () => {
  const template = buildStartExecutionTemplate('arn:aws:states:eu-west-1:123456789012:stateMachine:q');

  it('names the state machine and uses the request id as execution name', () => {
    expect(template).toContain('"stateMachineArn": "arn:aws:states:eu-west-1:123456789012:stateMachine:q"');
    expect(template).toContain('"name": "$context.requestId"');
  });

  it("turns escapeJavaScript's \\' back into ' with Java regex replaceAll (AWS's documented fix)", () => {
    expect(template).toContain(String.raw`$util.escapeJavaScript($input.json('$')).replaceAll("\\'", "'")`);
  });

  it('contains no ${ or %{ that Terraform would interpolate', () => {
    expect(template).not.toMatch(/\$\{|%\{/);
  });

  it('rejects a state machine ARN that would break the template', () => {
    expect(() => buildStartExecutionTemplate('arn"x')).toThrow(/stateMachineArn must not contain quotes or backslashes, got arn"x/);
  });
});

describe('buildRequestModel', () => {
  const validate = new Ajv({ strict: false }).compile(buildRequestModel());

  it('accepts the seed sample request', () => {
    expect(validate({ Query: 'SELECT "col1", "col2" FROM "database1"."tableA" limit 10', CallbackUrl: 'https://test.api' })).toBe(true);
  });

  it.each([
    ['a missing Query', { CallbackUrl: 'https://a.example' }],
    ['a missing CallbackUrl', { Query: 'SELECT 1' }],
    ['an empty Query', { Query: '', CallbackUrl: 'https://a.example' }],
    ['a blank Query', { Query: '   \n', CallbackUrl: 'https://a.example' }],
    ['a Query that is not a string', { Query: 1, CallbackUrl: 'https://a.example' }],
    ['an oversize Query', { Query: 'x'.repeat(MAX_QUERY_BYTES + 1), CallbackUrl: 'https://a.example' }],
    ['an http CallbackUrl', { Query: 'SELECT 1', CallbackUrl: 'http://a.example/hook' }],
    ['a CallbackUrl without host', { Query: 'SELECT 1', CallbackUrl: 'https:///hook' }],
    ['a CallbackUrl with credentials', { Query: 'SELECT 1', CallbackUrl: 'https://user:pw@a.example/' }],
    ['a CallbackUrl with spaces', { Query: 'SELECT 1', CallbackUrl: 'https://a.example/a b' }],
    ['an oversize CallbackUrl', { Query: 'SELECT 1', CallbackUrl: `https://a.example/${'x'.repeat(2048)}` }],
    ['an extra field', { Query: 'SELECT 1', CallbackUrl: 'https://a.example', Extra: true }],
    ['an array body', [{ Query: 'SELECT 1', CallbackUrl: 'https://a.example' }]],
    ['a Query over MAX_QUERY_CHARACTERS', { Query: 'x'.repeat(MAX_QUERY_CHARACTERS + 1), CallbackUrl: 'https://a.example' }],
    ['a Query with a C0 control character', { Query: 'SELECT 1 \u0001', CallbackUrl: 'https://a.example' }],
    ['a CallbackUrl with a non-ASCII host', { Query: 'SELECT 1', CallbackUrl: 'https://ü.example/' }],
    ['a CallbackUrl with a control character', { Query: 'SELECT 1', CallbackUrl: 'https://a.example/\u0001' }],
  ])('rejects %s', (_name, body) => {
    expect(validate(body)).toBe(false);
  });

  it('accepts a Query of MAX_QUERY_CHARACTERS four-byte characters with tabs and newlines', () => {
    const query = `SELECT\t1\r\n${'😀'.repeat(MAX_QUERY_CHARACTERS - 10)}`;
    expect(Array.from(query)).toHaveLength(MAX_QUERY_CHARACTERS);
    expect(validate({ Query: query, CallbackUrl: 'https://a.example:8443/hook?x=1' })).toBe(true);
  });

  it('keeps the largest accepted query, callback URL and error cause under the 256 KiB Step Functions payload limit', () => {
    // GIVEN the dead-letter record, the largest payload the state machine builds
    const worstQuery = '😀'.repeat(MAX_QUERY_CHARACTERS);
    const record = {
      ExecutionArn: `arn:aws-us-gov:states:us-gov-west-1:123456789012:execution:${'n'.repeat(80)}:${'e'.repeat(80)}`,
      CallbackUrl: `https://a.example/${'"'.repeat(2048 - 18)}`,
      QueryOutcome: { QueryExecution: { QueryExecutionId: 'x'.repeat(36), Query: worstQuery, Padding: 'p'.repeat(2000) } },
      LastError: { Error: 'CallbackRetryableError', Cause: '"'.repeat(32768) },
    };
    // THEN
    expect(Buffer.byteLength(JSON.stringify(record), 'utf8')).toBeLessThan(262144);
  });

  it('is draft-04, the dialect API Gateway models use', () => {
    expect(buildRequestModel().$schema).toBe('http://json-schema.org/draft-04/schema#');
  });
});

describe('buildIntegrationResponses', () => {
  it('maps Step Functions 4xx to 400 and 5xx to 500, and only the default to 200', () => {
    expect(buildIntegrationResponses().map((r) => [r.selectionPattern, r.statusCode])).toEqual([
      [undefined, '200'],
      ['4\\d{2}', '400'],
      ['5\\d{2}', '500'],
    ]);
  });

  it("answers 200 with the seed's executionArn and startDate", () => {
    expect(buildIntegrationResponses()[0].template).toMatch(/"executionArn": \$input\.json\('\$\.executionArn'\),\s+"startDate": \$input\.json\('\$\.startDate'\)/);
  });
});

describe('buildAccessLogFormat', () => {
  it('is one JSON object with the request id, caller and status', () => {
    const format = JSON.parse(buildAccessLogFormat()) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', userArn: '$context.identity.userArn', status: '$context.status' });
  });
});
