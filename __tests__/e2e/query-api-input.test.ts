/**
 * Bad input at every door of the query API, through the twin of the synthesized stack: the request model (API
 * Gateway), the body checks of the query API function, the `Idempotency-Key` header and the query id in the path.
 * Each refusal is a 400 that names the rule and the value received (the function's also the field), never shows a
 * URL's query string or user info, and starts nothing.
 */
import { EXECUTION_PARAMETER_LENGTH, MAX_CALLBACK_URL_LENGTH, MAX_EXECUTION_PARAMETERS } from '../../constructs/builders/api-contract';
import type { ApiResponse } from '../../twin/api-gateway/signed-client';
import { SAMPLE_QUERY, startWorld, type World } from './harness';

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.close();
});

const valid = (): { Query: string; CallbackUrl: string } => ({ Query: SAMPLE_QUERY, CallbackUrl: world.receiver.url('/hook') });
const messageOf = (response: ApiResponse): string => (response.json as { message: string }).message;

/** Sends the request and checks it was refused with 400, starting nothing. */
async function refused(send: () => Promise<ApiResponse>): Promise<ApiResponse> {
  const before = world.twin.stateMachine.executions.length;
  const response = await send();
  expect(response.status).toBe(400);
  expect(response.json).toMatchObject({ requestId: expect.any(String) });
  expect(world.twin.stateMachine.executions).toHaveLength(before);
  return response;
}

describe('e2e: the request model refuses, naming the rule and the value', () => {
  it.each<[string, () => Record<string, unknown>, string]>([
    ['an empty list of execution parameters', () => ({ ...valid(), ExecutionParameters: [] }), 'array is too short: must have at least 1 elements but instance has 0 elements'],
    [
      'more execution parameters than a payload can hold',
      () => ({ ...valid(), ExecutionParameters: Array<string>(MAX_EXECUTION_PARAMETERS + 1).fill('1') }),
      `array is too long: must have at most ${MAX_EXECUTION_PARAMETERS} elements but instance has ${MAX_EXECUTION_PARAMETERS + 1} elements`,
    ],
    ['an empty execution parameter', () => ({ ...valid(), ExecutionParameters: [''] }), 'string \\"\\" is too short (length: 0, required minimum: 1)'],
    [
      'an execution parameter longer than Athena allows',
      () => ({ ...valid(), ExecutionParameters: ['9'.repeat(EXECUTION_PARAMETER_LENGTH.max + 1)] }),
      `is too long (length: ${EXECUTION_PARAMETER_LENGTH.max + 1}, maximum allowed: ${EXECUTION_PARAMETER_LENGTH.max})`,
    ],
    ['an execution parameter that is not a string', () => ({ ...valid(), ExecutionParameters: [42] }), 'instance type (integer) does not match any allowed primitive type (allowed: [\\"string\\"])'],
    ['a negative result reuse age', () => ({ ...valid(), ResultReuseMaxAgeMinutes: -1 }), 'numeric instance is lower than the required minimum (minimum: 0, found: -1)'],
    ['a result reuse age above 7 days', () => ({ ...valid(), ResultReuseMaxAgeMinutes: 10081 }), 'numeric instance is greater than the required maximum (maximum: 10080, found: 10081)'],
    ['a fractional result reuse age', () => ({ ...valid(), ResultReuseMaxAgeMinutes: 1.5 }), 'instance type (number) does not match any allowed primitive type (allowed: [\\"integer\\"])'],
    ['a result reuse age given as a string', () => ({ ...valid(), ResultReuseMaxAgeMinutes: '60' }), 'instance type (string) does not match any allowed primitive type (allowed: [\\"integer\\"])'],
  ])('%s', async (_name, body, error) => {
    // WHEN
    const response = await refused(() => world.post(body()));

    // THEN
    expect(messageOf(response)).toBe('Invalid request body');
    expect(response.text).toContain(error);
  });

  it('lists every violation of a body at once', async () => {
    // WHEN
    const response = await refused(() => world.post({ ...valid(), ExecutionParameters: [], ResultReuseMaxAgeMinutes: -1 }));

    // THEN
    expect(response.text).toContain('array is too short');
    expect(response.text).toContain('numeric instance is lower than the required minimum');
  });
});

describe('e2e: the query API function refuses a callback URL, never showing its query string or user info', () => {
  it.each<[string, string, RegExp]>([
    ['a plain-http URL', 'http://hooks.example.com/athena?token=s3cr3t', /CallbackUrl must be an https:\/\/ URL of printable ASCII without user info, got 'http:\/\/hooks\.example\.com\/athena\?\.\.\.' \(44 characters\)/],
    ['a URL with user info', 'https://user:s3cr3t@hooks.example.com/athena', /CallbackUrl must be an https:\/\/ URL of printable ASCII without user info, got 'https:\/\/hooks\.example\.com\/athena' \(44 characters\)/],
    ['a URL with white space', 'https://hooks.example.com/a b?token=s3cr3t', /CallbackUrl must be an https:\/\/ URL of printable ASCII without user info, got 'https:\/\/hooks\.example\.com\/a b\?\.\.\.' \(42 characters\)/],
    ['a URL too long', `https://hooks.example.com/athena?token=s3cr3t&pad=${'a'.repeat(MAX_CALLBACK_URL_LENGTH)}`, new RegExp(`CallbackUrl must be at most ${MAX_CALLBACK_URL_LENGTH} characters, got 'https://hooks\\.example\\.com/athena\\?\\.\\.\\.' \\(\\d+ characters\\)`)],
  ])('%s', async (_name, url, message) => {
    // WHEN
    const response = await refused(() => world.post({ ...valid(), CallbackUrl: url }));

    // THEN
    expect(messageOf(response)).toMatch(/^Invalid request body: /);
    expect(messageOf(response)).toMatch(message);
    expect(response.text).not.toMatch(/s3cr3t/);
    expect(response.json).toMatchObject({ problems: [{ field: 'CallbackUrl', rule: expect.any(String), received: expect.any(String) }] });
  });

});

describe('e2e: the query API function refuses a malformed Idempotency-Key', () => {
  it.each([
    ['white space', 'order 42', '"order 42" (8 characters)'],
    ['a dot', 'order.42', '"order.42" (8 characters)'],
    ['81 characters', 'k'.repeat(81), `"${'k'.repeat(60)}..." (81 characters)`],
  ])('with %s', async (_name, key, shown) => {
    // WHEN
    const response = await refused(() => world.call('POST', '/queries', { body: valid(), headers: { 'Idempotency-Key': key } }));

    // THEN
    expect(messageOf(response)).toBe(`Invalid request: the Idempotency-Key header must be 1 to 80 characters, each a letter, a digit, "_" or "-", got ${shown}`);
  });
});

describe('e2e: every route refuses a malformed query id in the path', () => {
  const routes = [
    ['GET', (id: string) => `/queries/${id}`],
    ['DELETE', (id: string) => `/queries/${id}`],
    ['GET', (id: string) => `/queries/${id}/result`],
  ] as const;

  it.each(routes.flatMap(([method, route]) => [
    [method, route('not.an.id'), '"not.an.id" (9 characters)'],
    [method, route('%C3%BCml%C3%A4ut'), '"ümläut" (6 characters)'],
    [method, `${route('q'.repeat(81))}?token=s3cr3t`, `"${'q'.repeat(60)}..." (81 characters)`],
  ]))('%s %s', async (method, path, shown) => {
    // WHEN
    const response = await refused(() => world.call(method, path));

    // THEN
    expect(messageOf(response)).toBe(`Invalid request: the query id in the path (/queries/{id}) must be 1 to 80 characters, each a letter, a digit, "_" or "-", got ${shown}`);
    expect(response.text).not.toMatch(/s3cr3t/);
  });

  it('never repeats the query string of a well-formed path', async () => {
    // WHEN
    const response = await world.call('GET', '/queries/no-such-query?token=s3cr3t');

    // THEN
    expect(response.status).toBe(404);
    expect(response.text).not.toMatch(/s3cr3t/);
  });
});
