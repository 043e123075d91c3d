/** The query API function's checks of what a caller sends: the POST body, the Idempotency-Key header, the path id. */
import { executionInputOf, MAX_EXECUTION_PARAMETERS, MAX_QUERY_CHARACTERS } from '../../constructs/builders/api-contract';
import { InvalidRequestError } from '../../handler/api/errors';
import { checkIdempotencyKey, checkQueryId, describeReceived, parseQueryRequest } from '../../handler/api/request';

const VALID = { Query: 'SELECT 1', CallbackUrl: 'https://hooks.example.com/athena' };

/** The problems the body is refused with; fails the test when it is accepted. */
function problemsOf(body: unknown): { field: string; rule: string; received: string }[] {
  try {
    parseQueryRequest(typeof body === 'string' ? body : JSON.stringify(body));
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return [...(error as InvalidRequestError).problems];
  }
  throw new Error('Expected the body to be refused');
}

describe('Function: parseQueryRequest', () => {
  it('keeps only the fields of the contract, in their order', () => {
    // WHEN
    const request = parseQueryRequest(JSON.stringify({ ResultReuseMaxAgeMinutes: 5, ExecutionParameters: ["'a'"], ...VALID }));

    // THEN
    expect(request).toEqual({ ...VALID, ExecutionParameters: ["'a'"], ResultReuseMaxAgeMinutes: 5 });
  });

  it.each<[string, unknown, { field: string; rule: RegExp; received: string }]>([
    ['a body that is not JSON', '{"Query"', { field: 'the body', rule: /^be JSON$/, received: expect.stringMatching(/^8 characters that do not parse/) as unknown as string }],
    ['an array', [VALID], { field: 'the body', rule: /^be a JSON object$/, received: 'an array of 1 items' }],
    ['an unknown property', { ...VALID, RoleArn: 'x' }, { field: 'the body', rule: /^hold no property but Query, CallbackUrl, ExecutionParameters, ResultReuseMaxAgeMinutes$/, received: 'the property "RoleArn" (7 characters)' }],
    ['a missing Query', { CallbackUrl: VALID.CallbackUrl }, { field: 'Query', rule: /^be given/, received: 'nothing' }],
    ['a blank Query', { ...VALID, Query: ' \t' }, { field: 'Query', rule: /^hold a character that is not white space$/, received: '" \\t" (2 characters)' }],
    ['a Query too long', { ...VALID, Query: 'x'.repeat(MAX_QUERY_CHARACTERS + 1) }, { field: 'Query', rule: new RegExp(`^be 1 to ${MAX_QUERY_CHARACTERS} characters long$`), received: expect.stringMatching(/\(245644 characters\)$/) as unknown as string }],
    ['a Query with a control character', { ...VALID, Query: 'SELECT 1 \u0000' }, { field: 'Query', rule: /^contain no control character/, received: '"SELECT 1 \\u0000" (10 characters)' }],
    ['an http CallbackUrl with a token', { ...VALID, CallbackUrl: 'http://h.example/x?token=s3cr3t' }, { field: 'CallbackUrl', rule: /^be an https:\/\/ URL/, received: "'http://h.example/x?...' (31 characters)" }],
    ['a CallbackUrl that is not a string', { ...VALID, CallbackUrl: 7 }, { field: 'CallbackUrl', rule: /^be a string$/, received: '7' }],
    ['no execution parameter', { ...VALID, ExecutionParameters: [] }, { field: 'ExecutionParameters', rule: new RegExp(`^hold 1 to ${MAX_EXECUTION_PARAMETERS} values`), received: 'an array of 0 items' }],
    ['an execution parameter too long', { ...VALID, ExecutionParameters: ['1', '2'.repeat(1025)] }, { field: 'ExecutionParameters[1]', rule: /^be 1 to 1024 characters long$/, received: expect.stringMatching(/\(1025 characters\)$/) as unknown as string }],
    ['a fractional reuse age', { ...VALID, ResultReuseMaxAgeMinutes: 2.5 }, { field: 'ResultReuseMaxAgeMinutes', rule: /^be a whole number of minutes from 0 to 10080$/, received: '2.5' }],
  ])('refuses %s, naming the field, the rule and the value', (_name, body, expected) => {
    // WHEN
    const [problem, ...others] = problemsOf(body);

    // THEN
    expect(others).toEqual([]);
    expect(problem).toEqual({ ...expected, rule: expect.stringMatching(expected.rule) });
  });

  it('never shows the query string, user info or fragment of a callback URL', () => {
    // WHEN
    const problems = problemsOf({ ...VALID, CallbackUrl: `https://user:pw-s3cr3t@h.example/x?token=s3cr3t#s3cr3t${'a'.repeat(3000)}` });

    // THEN
    expect(JSON.stringify(problems)).not.toMatch(/s3cr3t/);
  });

  it('lists every problem at once', () => {
    expect(problemsOf({ Query: 42, CallbackUrl: 'ftp://x', ResultReuseMaxAgeMinutes: -1 }).map((p) => p.field)).toEqual(['Query', 'CallbackUrl', 'ResultReuseMaxAgeMinutes']);
  });
});

describe('Function: executionInputOf', () => {
  it('turns a reuse age into Athena result reuse, and 0 or none into reuse off', () => {
    expect(executionInputOf({ ...VALID, ResultReuseMaxAgeMinutes: 30 }).ResultReuseConfiguration).toEqual({ ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: 30 } });
    expect(executionInputOf({ ...VALID, ResultReuseMaxAgeMinutes: 0 }).ResultReuseConfiguration).toEqual({ ResultReuseByAgeConfiguration: { Enabled: false } });
    expect(executionInputOf(VALID).ResultReuseConfiguration).toEqual({ ResultReuseByAgeConfiguration: { Enabled: false } });
  });

  it('gives the same text for the same request, whatever the order of its fields', () => {
    expect(JSON.stringify(executionInputOf({ ResultReuseMaxAgeMinutes: 1, CallbackUrl: VALID.CallbackUrl, Query: VALID.Query }))).toBe(
      JSON.stringify(executionInputOf({ Query: VALID.Query, CallbackUrl: VALID.CallbackUrl, ResultReuseMaxAgeMinutes: 1 })),
    );
  });
});

describe('Functions: checkIdempotencyKey, checkQueryId', () => {
  it.each(['a', 'order-42', 'A_b-9', 'k'.repeat(80), '0a76d064-b32b-443a-ad7c-322d5e179f0d'])('accepts %s', (value) => {
    expect(checkIdempotencyKey(value)).toBe(value);
    expect(checkQueryId(value)).toBe(value);
  });

  it('takes no key as no key', () => {
    expect(checkIdempotencyKey(undefined)).toBeUndefined();
  });

  it.each(['', 'a b', 'a.b', 'a/b', 'ü', 'k'.repeat(81)])('refuses %j with the rule and the value', (value) => {
    expect(() => checkIdempotencyKey(value)).toThrow(`the Idempotency-Key header must be 1 to 80 characters, each a letter, a digit, "_" or "-", got ${describeReceived(value)}`);
    expect(() => checkQueryId(value)).toThrow(`the query id in the path (/queries/{id}) must be 1 to 80 characters, each a letter, a digit, "_" or "-", got ${describeReceived(value)}`);
  });
});

describe('Function: describeReceived', () => {
  it.each<[unknown, string]>([
    [undefined, 'nothing'],
    [null, 'null'],
    [1.5, '1.5'],
    [{ a: 1 }, 'an object with 1 keys'],
    ['line\nbreak\u2028', '"line\\nbreak\\u2028" (11 characters)'],
    ['x'.repeat(61), `"${'x'.repeat(60)}..." (61 characters)`],
  ])('shows %j as %s', (value, shown) => {
    expect(describeReceived(value)).toBe(shown);
  });
});
