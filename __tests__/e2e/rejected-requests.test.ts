/**
 * What the API refuses, and that a refused request starts nothing: bodies the synthesized model rejects (400, with
 * the synthesized BAD_REQUEST_BODY response), requests whose SigV4 signature does not verify (403), other content
 * types (415, from the query API function) and unknown routes. The function's own checks of every input are in
 * query-api-input.test.ts.
 */
import { SAMPLE_QUERY, startWorld, virtualClock, type World } from './harness';

let world: World;
const validBody = (): { Query: string; CallbackUrl: string } => ({ Query: SAMPLE_QUERY, CallbackUrl: world.receiver.url('/hook') });

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.close();
});

describe('e2e: invalid bodies', () => {
  const cases: readonly [string, () => unknown, RegExp][] = [
    ['a missing CallbackUrl', () => ({ Query: SAMPLE_QUERY }), /missing required properties \(\[\\"CallbackUrl\\"\]\)/],
    ['a missing Query', () => ({ CallbackUrl: world.receiver.url() }), /missing required properties \(\[\\"Query\\"\]\)/],
    ['an unknown property', () => ({ ...validBody(), Extra: 1 }), /not allowed by the schema: \[\\"Extra\\"\]/],
    ['a CallbackUrl that is not a string', () => ({ ...validBody(), CallbackUrl: 42 }), /instance type \(integer\) does not match/],
    ['a blank Query', () => ({ ...validBody(), Query: ' \n\t ' }), /does not match input string/],
    ['a Query that is not a string', () => ({ ...validBody(), Query: 42 }), /instance type \(integer\) does not match/],
    ['a body that is not JSON', () => '{"Query": "SELECT 1", ', /Invalid JSON/],
    ['a JSON array', () => [validBody()], /instance type \(array\)/],
  ];

  it.each(cases)('rejects %s with 400 and the validation error, starting no execution', async (_name, body, reason) => {
    // GIVEN
    const before = world.twin.stateMachine.executions.length;

    // WHEN
    const response = await world.post(body());

    // THEN
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject({ message: 'Invalid request body', requestId: expect.any(String) });
    expect(response.text).toMatch(reason);
    expect(world.twin.stateMachine.executions).toHaveLength(before);
  });
});

describe('e2e: bad signatures', () => {
  const signedWith = (change: (headers: Record<string, string>) => Record<string, string>) => change;
  const cases: readonly [string, Parameters<World['post']>[1], RegExp][] = [
    ['no signature at all', { tamper: signedWith(({ authorization: _a, ...rest }) => rest) }, /Missing Authentication Token/],
    [
      'a signature made with the wrong secret',
      { tamper: signedWith((h) => ({ ...h, authorization: h.authorization.replace(/Signature=[0-9a-f]{8}/, 'Signature=00000000') })) },
      /signature we calculated does not match/,
    ],
    ['an unknown access key', { tamper: signedWith((h) => ({ ...h, authorization: h.authorization.replace(/Credential=[A-Z0-9]+/, 'Credential=AKIAUNKNOWNKEY000000') })) }, /security token included in the request is invalid/],
    ['a signature from ten minutes ago', { signingDate: new Date(Date.now() - 10 * 60 * 1000) }, /Signature expired/],
    ['a signature scoped to another region', { tamper: signedWith((h) => ({ ...h, authorization: h.authorization.replace('/us-east-1/', '/eu-west-1/') })) }, /scoped to a valid region/],
    ['a signature scoped to another service', { tamper: signedWith((h) => ({ ...h, authorization: h.authorization.replace('/execute-api/', '/states/') })) }, /scoped to correct service/],
    ['a signed header changed after signing', { tamper: signedWith((h) => ({ ...h, 'x-amz-date': h['x-amz-date'].replace(/\d(?=Z$)/, (d) => String((Number(d) + 1) % 10)) })) }, /signature we calculated does not match/],
  ];

  it.each(cases)('rejects %s with 403, starting no execution', async (_name, options, reason) => {
    // GIVEN
    const before = world.twin.stateMachine.executions.length;

    // WHEN
    const response = await world.post(validBody(), options);

    // THEN
    expect(response.status).toBe(403);
    expect(response.text).toMatch(reason);
    expect(world.twin.stateMachine.executions).toHaveLength(before);
  });

  it('rejects a body changed after signing with 403, starting no execution', async () => {
    // GIVEN a request signed for one body
    const before = world.twin.stateMachine.executions.length;
    const { signRequest } = await import('../../twin/iam/sigv4-verifier');
    const url = new URL(`${world.twin.stageUrl}/queries`);
    const signed = await signRequest(
      { method: 'POST', url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(validBody()) },
      world.twin.clientCredentials,
      { region: world.twin.region, service: 'execute-api' },
    );
    const { host: _host, ...headers } = signed;

    // WHEN it is sent with another
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ ...validBody(), Query: 'SELECT 2' }) });

    // THEN
    expect(response.status).toBe(403);
    expect(await response.text()).toMatch(/signature we calculated does not match/);
    expect(world.twin.stateMachine.executions).toHaveLength(before);
  });
});

describe('e2e: other refusals', () => {
  it('refuses another content type with 415, starting no execution', async () => {
    // GIVEN
    const before = world.twin.stateMachine.executions.length;

    // WHEN
    const response = await world.post(JSON.stringify(validBody()), { contentType: 'text/plain' });

    // THEN
    expect(response.status).toBe(415);
    expect(response.json).toMatchObject({ message: 'Content-Type must be application/json, got "text/plain"', requestId: expect.any(String) });
    expect(world.twin.stateMachine.executions).toHaveLength(before);
  });

  it('answers an unknown route like API Gateway: 403 Missing Authentication Token', async () => {
    // WHEN
    const response = await world.post(validBody(), { route: '/nope' });

    // THEN
    expect(response.status).toBe(403);
    expect(response.json).toEqual({ message: 'Missing Authentication Token' });
  });
});

// Last in this file: it empties the stage's token bucket.
describe('e2e: stage throttling', () => {
  it("lets exactly the synthesized burst limit through at one instant and answers 429 Too Many Requests beyond it", async () => {
    // GIVEN the stage's bucket, full again after the earlier requests of this file (it refills at rateLimit per second)
    const { burstLimit, rateLimit } = world.twin.stack.artifacts.api.throttling ?? { burstLimit: 0, rateLimit: 1 };
    await virtualClock(world).advanceBy(Math.ceil(burstLimit / rateLimit) * 1000);

    // WHEN twice as many requests arrive at the same twin instant (sent one after another: the clock stands still
    // while each is in flight, so no token is refilled between them)
    const statuses: number[] = [];
    for (let i = 0; i < burstLimit * 2; i++) {
      statuses.push(await world.clock.track('burst request', () => fetch(`${world.twin.stageUrl}/queries`, { method: 'POST', body: '{}' }).then((r) => r.status)));
    }

    // THEN the first burstLimit pass the throttle (and are refused later, unsigned), the rest are throttled
    expect(burstLimit).toBeGreaterThan(0);
    expect(statuses.slice(0, burstLimit)).toEqual(Array(burstLimit).fill(403));
    expect(statuses.slice(burstLimit)).toEqual(Array(burstLimit).fill(429));
  });
});
