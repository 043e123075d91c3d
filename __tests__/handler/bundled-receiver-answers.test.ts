/** The bundled callbacker against receivers that fail, throttle, redirect, stall or flood. */
import { type BundledHandler, loadBundledHandler } from '../support/bundled-callbacker';
import { endedQueryEvent } from '../support/callbacker-events';
import { type LocalReceiver, type Responder, startReceiver, status } from '../support/local-receiver';
import { type LocalSecretsManager, startLocalSecretsManager } from '../support/local-secrets-manager';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:callback-signing-AbCdEf';
const SECRET = `whsec_${Buffer.from('callbacker test signing key, 32 b').toString('base64')}`;

let receiver: LocalReceiver;
let secretsManager: LocalSecretsManager;

beforeAll(async () => {
  [receiver, secretsManager] = await Promise.all([startReceiver(), startLocalSecretsManager()]);
  secretsManager.setSecret(SECRET_ARN, SECRET);
});

afterAll(async () => {
  await Promise.all([receiver.close(), secretsManager.close()]);
});

beforeEach(() => {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

afterEach(() => jest.restoreAllMocks());

function handlerWith(vars: Record<string, string> = {}): BundledHandler {
  return loadBundledHandler({
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
    PRESIGN_EXPIRY_SECONDS: '900',
    WEBHOOK_SIGNING: 'enabled',
    WEBHOOK_SECRET_ARN: SECRET_ARN,
    DANGEROUSLY_ALLOW_LOOPBACK_HTTP_CALLBACKS: 'true',
    CALLBACK_ALLOWED_PORTS: String(receiver.port),
    CALLBACK_CONNECT_TIMEOUT_MS: '1000',
    CALLBACK_TOTAL_TIMEOUT_MS: '2000',
    CALLBACK_RETRY_AFTER_CAP_SECONDS: '600',
    ...vars,
  });
}

function failedEvent() {
  return endedQueryEvent({ callbackUrl: receiver.url(), state: 'FAILED', reason: 'boom' });
}

describe('bundled callbacker: receiver answers', () => {
  it.each([
    [500, 'CallbackRetryableError'],
    [503, 'CallbackRetryableError'],
    [408, 'CallbackRetryableError'],
    [404, 'CallbackRejectedError'],
    [410, 'CallbackRejectedError'],
    [400, 'CallbackRejectedError'],
  ])('fails a %d answer with %s after one POST', async (code, name) => {
    // GIVEN
    receiver.respondWith(status(code, {}, 'receiver error page'));

    // WHEN
    const invocation = handlerWith()(failedEvent());

    // THEN
    await expect(invocation).rejects.toMatchObject({ name, message: expect.stringContaining(`answered ${code}`) });
    expect(receiver.requests).toHaveLength(1);
  });

  it('does not follow a 302 and fails with CallbackRejectedError', async () => {
    // GIVEN
    receiver.respondWith(status(302, { Location: receiver.url('/redirected') }), status(204));

    // WHEN
    const invocation = handlerWith()(failedEvent());

    // THEN
    await expect(invocation).rejects.toMatchObject({ name: 'CallbackRejectedError', message: expect.stringContaining('answered 302 Found') });
    expect(receiver.requests.map((r) => r.url)).toEqual(['/hook']);
  });

  it('reports a 429 with Retry-After: 120 as CallbackRetryAfterError after one POST, without waiting', async () => {
    // GIVEN
    receiver.respondWith(status(429, { 'Retry-After': '120' }), status(200));

    // WHEN
    const invocation = handlerWith()(failedEvent());

    // THEN: the Lambda Cause carries the delay as JSON the state machine reads
    const error = (await invocation.catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('CallbackRetryAfterError');
    expect(JSON.parse(error.message)).toMatchObject({ RetryAfterSeconds: 120, Detail: expect.stringContaining('answered 429 Too Many Requests (Retry-After: 120)') });
    expect(receiver.requests).toHaveLength(1);
  });

  it('cuts a Retry-After above CALLBACK_RETRY_AFTER_CAP_SECONDS to the cap', async () => {
    // GIVEN
    receiver.respondWith(status(503, { 'Retry-After': '7200' }), status(200));

    // WHEN
    const invocation = handlerWith()(failedEvent());

    // THEN
    await expect(invocation).rejects.toMatchObject({ name: 'CallbackRetryAfterError', message: expect.stringMatching(/^\{"RetryAfterSeconds":600,/) });
    expect(receiver.requests).toHaveLength(1);
  });

  it('reports a receiver body that SQS would refuse escaped, as printable ASCII', async () => {
    // GIVEN
    receiver.respondWith(status(400, { 'Content-Type': 'text/plain; charset=utf-8' }, 'nope \uffff\ufffe\ud800'));

    // WHEN
    const invocation = handlerWith()(failedEvent());

    // THEN
    const error = (await invocation.catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('CallbackRejectedError');
    expect(error.message).toMatch(/nope \\uFFFF\\uFFFE\\uFFFD$/);
    expect(`${error.message}\n${error.stack}`).toMatch(/^[\x20-\x7e\n]*$/);
  });

  it('times out a receiver that never answers with CallbackRetryableError', async () => {
    // GIVEN
    receiver.respondWith(() => undefined);
    const started = Date.now();

    // WHEN
    const invocation = handlerWith({ CALLBACK_TOTAL_TIMEOUT_MS: '500' })(failedEvent());

    // THEN
    await expect(invocation).rejects.toMatchObject({ name: 'CallbackRetryableError', message: expect.stringContaining('timed out after 500 ms') });
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('stops reading a huge answer and hangs up instead of draining it', async () => {
    // GIVEN: a 2xx whose body never ends unless the client hangs up
    let written = 0;
    let closed!: Promise<void>;
    const flood: Responder = (_req, res) => {
      closed = new Promise((resolve) => res.on('close', resolve));
      res.writeHead(200);
      const chunk = Buffer.alloc(256 * 1024, 'y');
      const pump = (): void => {
        while (!res.destroyed && written < 512 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
      };
      res.on('drain', pump);
      pump();
    };
    receiver.respondWith(flood);
    const started = Date.now();

    // WHEN
    const result = await handlerWith({ CALLBACK_TOTAL_TIMEOUT_MS: '10000' })(failedEvent());
    await closed;

    // THEN
    expect(result).toMatchObject({ StatusCode: 200 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('reports a refused connection as CallbackRetryableError', async () => {
    // GIVEN
    const gone = await startReceiver();
    await gone.close();

    // WHEN
    const invocation = handlerWith({ CALLBACK_ALLOWED_PORTS: String(gone.port) })(
      endedQueryEvent({ callbackUrl: gone.url(), state: 'FAILED' }),
    );

    // THEN
    await expect(invocation).rejects.toMatchObject({ name: 'CallbackRetryableError', message: expect.stringContaining('ECONNREFUSED') });
  });
});
