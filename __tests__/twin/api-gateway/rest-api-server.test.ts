/**
 * The twin's API Gateway on the synthesized API: routes with path parameters, Lambda proxy integrations and the Lambda
 * permissions they need. The function behind the routes is a stand-in that answers what the test tells it.
 */
import { type ApiGatewayOptions, type LocalApiGateway, startApiGateway } from '../../../twin/api-gateway/rest-api-server';
import { requestSigned, type ApiClientOptions } from '../../../twin/api-gateway/signed-client';
import { VirtualClock } from '../../../twin/clock/twin-clock';
import type { LambdaService } from '../../../twin/lambda/lambda-sandbox';
import { DEFAULT_TWIN_VARIABLES } from '../../../twin/twin';
import { loadStack } from '../../../twin/wiring/stack-cache';

const { artifacts } = loadStack(DEFAULT_TWIN_VARIABLES);
const CALLER = { accessKeyId: 'AKIATESTCALLER000001', secretAccessKey: 'test-secret', userArn: 'arn:aws:iam::123456789012:user/caller' };

/** What the stand-in function answers, and the events it got. */
let answer: (event: Record<string, unknown>) => Promise<unknown>;
const events: Record<string, unknown>[] = [];
const standIn = {
  spec: { functionArn: artifacts.queryApi.functionArn, functionName: artifacts.queryApi.functionName },
  invoke: (event: Record<string, unknown>) => {
    events.push(event);
    return answer(event);
  },
} as unknown as LambdaService;

const running: LocalApiGateway[] = [];
async function gateway(overrides: Partial<ApiGatewayOptions> = {}): Promise<ApiClientOptions> {
  const api = await startApiGateway({
    api: artifacts.api,
    region: 'us-east-1',
    accountId: '123456789012',
    callers: [CALLER],
    functions: [standIn],
    lambdaPermissions: artifacts.lambdaPermissions,
    throttling: false,
    ...overrides,
  });
  running.push(api);
  // The client is no work in flight on the gateway's clock: a virtual clock may move while a request waits.
  return { stageUrl: api.stageUrl, credentials: CALLER, region: 'us-east-1' };
}

beforeEach(() => {
  events.length = 0;
  answer = async () => ({ statusCode: 200, headers: { 'Content-Type': 'application/json' }, body: '{"ok":true}' });
});

afterAll(async () => {
  for (const api of running) await api.close();
});

describe('Function: startApiGateway (Lambda proxy integrations)', () => {
  it('hands the function the request as a proxy event, path parameters included, and answers what it answers', async () => {
    // GIVEN
    const client = await gateway();
    answer = async () => ({ statusCode: 202, headers: { 'Content-Type': 'application/json', 'X-Extra': 'yes' }, body: '{"status":"CANCELLING"}' });

    // WHEN
    const response = await requestSigned(client, undefined, { method: 'DELETE', route: '/queries/order-42', headers: { 'Idempotency-Key': 'ignored' } });

    // THEN
    expect(response).toMatchObject({ status: 202, text: '{"status":"CANCELLING"}', headers: expect.objectContaining({ 'x-extra': 'yes' }) });
    expect(events).toEqual([
      expect.objectContaining({
        resource: '/queries/{id}',
        path: '/queries/order-42',
        httpMethod: 'DELETE',
        pathParameters: { id: 'order-42' },
        body: null,
        headers: expect.objectContaining({ 'idempotency-key': 'ignored' }),
        requestContext: expect.objectContaining({ stage: artifacts.api.stageName, resourcePath: '/queries/{id}', identity: expect.objectContaining({ userArn: CALLER.userArn }) }),
      }),
    ]);
  });

  it('refuses, without invoking it, a route whose function has no permission for this source ARN', async () => {
    // GIVEN the stack's permissions but the one for DELETE /queries/{id}
    const client = await gateway({ lambdaPermissions: artifacts.lambdaPermissions.filter((p) => !p.sourceArn?.includes('/DELETE/')) });

    // WHEN
    const refused = await requestSigned(client, undefined, { method: 'DELETE', route: '/queries/order-42' });
    const allowed = await requestSigned(client, undefined, { method: 'GET', route: '/queries/order-42' });

    // THEN
    expect(refused.status).toBe(500);
    expect(refused.json).toEqual({ message: expect.stringContaining('Invalid permissions on Lambda function') });
    expect(allowed.status).toBe(200);
    expect(events.map((e) => e.httpMethod)).toEqual(['GET']);
  });

  it('answers 502 for a function answer that is not a proxy result, and for a function error', async () => {
    // GIVEN
    const client = await gateway();

    // WHEN
    answer = async () => ({ body: 'no status code' });
    const malformed = await requestSigned(client, undefined, { method: 'GET', route: '/queries/q' });
    answer = async () => {
      throw new Error('boom');
    };
    const failed = await requestSigned(client, undefined, { method: 'GET', route: '/queries/q' });

    // THEN
    expect(malformed.status).toBe(502);
    expect(failed).toMatchObject({ status: 502, json: { message: 'Internal server error' } });
  });

  it('answers 504 once the integration timeout passes', async () => {
    // GIVEN a function that never answers, on a virtual clock
    const clock = new VirtualClock();
    const client = await gateway({ clock });
    answer = () => new Promise(() => undefined);

    // WHEN
    const response = await requestSigned(client, undefined, { method: 'GET', route: '/queries/q/result' });

    // THEN
    expect(response).toMatchObject({ status: 504, json: { message: 'Endpoint request timed out' } });
    clock.dispose();
  });

  it('answers a method the path does not have like API Gateway: 403 Missing Authentication Token', async () => {
    // GIVEN
    const client = await gateway();

    // WHEN
    const response = await requestSigned(client, undefined, { method: 'GET', route: '/queries' });

    // THEN
    expect(response).toMatchObject({ status: 403, json: { message: 'Missing Authentication Token' } });
    expect(events).toEqual([]);
  });
});
