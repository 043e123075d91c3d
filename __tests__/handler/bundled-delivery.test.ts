/**
 * The bundled callbacker (what ships to Lambda) against real components: a local S3 that verifies SigV4 presigned
 * URLs, moto's Secrets Manager, and a local webhook receiver.
 */
import { inspect } from 'node:util';
import { Webhook } from 'standardwebhooks';
import { packageUserAgent } from '../../scripts/build-callbacker';
import { acceptDeliveriesQuietly, type BundledHandler, loadBundledHandler } from '../support/bundled-callbacker';
import { callbackSchemaErrors } from '../support/callback-schema';
import { caughtErrorEvent, endedQueryEvent, executionArn, succeededEvent } from '../support/callbacker-events';
import { type LocalReceiver, startReceiver } from '../support/local-receiver';
import { type LocalS3, S3RVER_CREDENTIALS, startLocalS3 } from '../support/local-s3';
import { MOTO_ACCOUNT, type MotoServer, startMoto } from '../support/moto-server';

const MISSING_ARN = `arn:aws:secretsmanager:us-east-1:${MOTO_ACCOUNT}:secret:callback-missing-StUvWx`;
const SECRET = `whsec_${Buffer.from('callbacker test signing key, 32 b').toString('base64')}`;
const NEXT_SECRET = `whsec_${Buffer.from('the rotated-in signing key, 32 by').toString('base64')}`;
const UNRELATED_SECRET = `whsec_${Buffer.from('a key the callbacker never holds!').toString('base64')}`;
const CSV = '"col1","col2"\n"1","he said ""hi"""\n"2","multi\nline ünïcødé"\n';

let s3: LocalS3;
let receiver: LocalReceiver;
let moto: MotoServer;
let SECRET_ARN: string;
let ROTATION_ARN: string;
let GARBLED_ARN: string;

beforeAll(async () => {
  [s3, receiver, moto] = await Promise.all([startLocalS3(['results']), startReceiver(), startMoto()]);
  [SECRET_ARN, ROTATION_ARN, GARBLED_ARN] = await Promise.all([
    moto.createSecret('callback-signing', SECRET),
    moto.createSecret('callback-rotation', `${SECRET}\n${NEXT_SECRET}`),
    moto.createSecret('callback-garbled', 'whsec_not*base64'),
  ]);
});

afterAll(async () => {
  await Promise.all([s3.close(), receiver.close(), moto.close()]);
});

acceptDeliveriesQuietly(() => receiver);

function handlerWith(vars: Record<string, string> = {}): BundledHandler {
  return loadBundledHandler({
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint,
    PRESIGN_EXPIRY_SECONDS: '900',
    WEBHOOK_SIGNING: 'enabled',
    WEBHOOK_SECRET_ARN: SECRET_ARN,
    DANGEROUSLY_ALLOW_LOOPBACK_HTTP_CALLBACKS: 'true',
    CALLBACK_ALLOWED_PORTS: String(receiver.port),
    CALLBACK_CONNECT_TIMEOUT_MS: '1000',
    CALLBACK_TOTAL_TIMEOUT_MS: '2000',
    ...vars,
  });
}

/** The only POST the receiver got, as body text, parsed body and headers. */
function onlyDelivery() {
  expect(receiver.requests).toHaveLength(1);
  const [request] = receiver.requests;
  return { body: request.body, payload: JSON.parse(request.body), headers: request.headers };
}

function signatureHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  return {
    'webhook-id': String(headers['webhook-id']),
    'webhook-timestamp': String(headers['webhook-timestamp']),
    'webhook-signature': String(headers['webhook-signature']),
  };
}

async function putResult(key: string): Promise<string> {
  await s3.putObject('results', key, CSV);
  return `s3://results/${key}`;
}

describe('bundled callbacker: SUCCEEDED', () => {
  it.each(['athena/qid-1.csv', 'athena/with space/q 2.csv', 'athena/ünïcødé/日本 3.csv', 'athena/k+e=y/100%41 4.csv'])(
    'delivers a presigned URL that downloads exactly the CSV at %j',
    async (key) => {
      // GIVEN
      const outputLocation = await putResult(key);

      // WHEN
      const result = await handlerWith()(succeededEvent({ callbackUrl: receiver.url(), outputLocation }));

      // THEN
      const { payload, headers } = onlyDelivery();
      const download = await fetch(payload.QueryResult.PresignedUrl);
      expect(download.status).toBe(200);
      expect(await download.text()).toBe(CSV);
      expect(new URL(payload.QueryResult.PresignedUrl).searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
      expect(result).toEqual({ StatusCode: 204, WebhookId: headers['webhook-id'], State: 'SUCCEEDED', ExpiredIn: 900 });
    },
  );

  it('sends the documented body, valid against the schema, and headers that verify with standardwebhooks', async () => {
    // GIVEN
    const outputLocation = await putResult('athena/qid-2.csv');
    const event = succeededEvent({ callbackUrl: receiver.url(), outputLocation, queryExecutionId: 'qid-2', execution: 'body' });

    // WHEN
    const result = await handlerWith()(event);

    // THEN
    const { body, payload, headers } = onlyDelivery();
    expect(callbackSchemaErrors(payload)).toEqual([]);
    expect(payload).toEqual({
      State: { State: 'SUCCEEDED', SubmissionDateTime: 1645062485193, CompletionDateTime: 1645062487295 },
      QueryResult: { PresignedUrl: expect.stringMatching(`^${s3.endpoint}/results/athena/qid-2.csv\\?`), ExpiredIn: 900 },
      QueryExecutionId: 'qid-2',
      ExecutionArn: executionArn('body'),
      Statistics: { DataScannedInBytes: 123, EngineExecutionTimeInMillis: 456, TotalExecutionTimeInMillis: 789, QueryQueueTimeInMillis: 12 },
    });
    expect(new Webhook(SECRET).verify(body, signatureHeaders(headers))).toEqual(payload);
    expect(headers['content-type']).toBe('application/json');
    expect(headers['user-agent']).toBe(packageUserAgent());
    expect(headers['webhook-id']).toBe(result.WebhookId);
    expect(Math.abs(Number(headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(30);
  });

  it('signs the URL for exactly ExpiredIn seconds and leaves checksum parameters out', async () => {
    // GIVEN
    const outputLocation = await putResult('athena/qid-3.csv');

    // WHEN
    const result = await handlerWith({ PRESIGN_EXPIRY_SECONDS: '4321' })(succeededEvent({ callbackUrl: receiver.url(), outputLocation }));

    // THEN
    const url = new URL(onlyDelivery().payload.QueryResult.PresignedUrl);
    expect(result.ExpiredIn).toBe(4321);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('4321');
    expect([...url.searchParams.keys()].filter((name) => name.startsWith('x-amz-checksum'))).toEqual([]);
  });

  it.each([
    ['an altered signature', (url: URL) => url.searchParams.set('X-Amz-Signature', flipLastHex(url.searchParams.get('X-Amz-Signature') ?? ''))],
    ['another key', (url: URL) => (url.pathname = url.pathname.replace('qid-4.csv', 'qid-4b.csv'))],
    ['a longer X-Amz-Expires', (url: URL) => url.searchParams.set('X-Amz-Expires', '604800')],
  ])('gets 403 for the URL with %s', async (_label, tamper) => {
    // GIVEN
    const outputLocation = await putResult('athena/qid-4.csv');
    await putResult('athena/qid-4b.csv');
    await handlerWith()(succeededEvent({ callbackUrl: receiver.url(), outputLocation }));
    const url = new URL(onlyDelivery().payload.QueryResult.PresignedUrl);
    expect((await fetch(url)).status).toBe(200);

    // WHEN
    tamper(url);
    const download = await fetch(url);

    // THEN
    expect(download.status).toBe(403);
  });

  it('gets 403 once the URL has expired', async () => {
    // GIVEN
    const outputLocation = await putResult('athena/qid-5.csv');
    const result = await handlerWith({ PRESIGN_EXPIRY_SECONDS: '1' })(succeededEvent({ callbackUrl: receiver.url(), outputLocation }));
    const url = onlyDelivery().payload.QueryResult.PresignedUrl;
    expect(result.ExpiredIn).toBe(1);

    // WHEN
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const download = await fetch(url);

    // THEN
    expect(download.status).toBe(403);
    expect(await download.text()).toContain('Request has expired');
  });

  it('caps ExpiredIn by the expiration of the default-chain credentials', async () => {
    // GIVEN: environment credentials that expire in 20 minutes, read by the SDK from AWS_CREDENTIAL_EXPIRATION
    const outputLocation = await putResult('athena/qid-6.csv');
    const expiration = new Date(Date.now() + 20 * 60 * 1000).toISOString();

    // WHEN
    const result = await handlerWith({ PRESIGN_EXPIRY_SECONDS: '3600', AWS_SESSION_TOKEN: 'env-session', AWS_CREDENTIAL_EXPIRATION: expiration })(
      succeededEvent({ callbackUrl: receiver.url(), outputLocation }),
    );

    // THEN
    const url = new URL(onlyDelivery().payload.QueryResult.PresignedUrl);
    expect(result.ExpiredIn).toBeGreaterThan(1190);
    expect(result.ExpiredIn).toBeLessThanOrEqual(1200);
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(result.ExpiredIn));
  });

  it('never logs the presigned URL or the signing secret', async () => {
    // GIVEN
    const outputLocation = await putResult('athena/qid-7.csv');
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);

    // WHEN
    await handlerWith()(succeededEvent({ callbackUrl: receiver.url('/hook?token=caller-secret'), outputLocation }));

    // THEN
    const logged = log.mock.calls.flat().map(String).join('\n');
    const signature = new URL(onlyDelivery().payload.QueryResult.PresignedUrl).searchParams.get('X-Amz-Signature') ?? 'missing';
    expect(logged).toContain('callback delivered');
    expect(logged).not.toContain(signature);
    expect(logged).not.toContain(SECRET.slice('whsec_'.length));
    expect(logged).not.toContain('caller-secret');
  });
});

describe('bundled callbacker: FAILED and CANCELLED', () => {
  it.each([
    ['FAILED', "line 1:8: Column 'nope' cannot be resolved"],
    ['CANCELLED', undefined],
  ] as const)('delivers %s with its reason and no QueryResult', async (state, reason) => {
    // GIVEN
    const event = endedQueryEvent({ callbackUrl: receiver.url(), state, reason });

    // WHEN
    const result = await handlerWith()(event);

    // THEN
    const { body, payload, headers } = onlyDelivery();
    expect(payload).toEqual({
      State: { State: state, SubmissionDateTime: 1645062485193, CompletionDateTime: 1645062487295, ...(reason && { StateChangeReason: reason }) },
      QueryExecutionId: `qid-${state.toLowerCase()}`,
      ExecutionArn: event.ExecutionArn,
    });
    expect(callbackSchemaErrors(payload)).toEqual([]);
    expect(new Webhook(SECRET).verify(body, signatureHeaders(headers))).toEqual(payload);
    expect(result).toEqual({ StatusCode: 204, WebhookId: headers['webhook-id'], State: state });
  });

  it('delivers a throttling failure as FAILED with "Error: Cause" and the execution start time', async () => {
    // GIVEN
    const event = caughtErrorEvent({ callbackUrl: receiver.url(), error: 'Athena.TooManyRequestsException', cause: 'Rate exceeded' });
    const before = Date.now();

    // WHEN
    await handlerWith()(event);

    // THEN
    const { payload } = onlyDelivery();
    expect(callbackSchemaErrors(payload)).toEqual([]);
    expect(payload.State).toEqual({
      State: 'FAILED',
      SubmissionDateTime: Date.parse('2026-11-25T10:00:00.000Z'),
      CompletionDateTime: expect.any(Number),
      StateChangeReason: 'Athena.TooManyRequestsException: Rate exceeded',
    });
    expect(payload.State.CompletionDateTime).toBeGreaterThanOrEqual(before);
    expect(payload).not.toHaveProperty('QueryExecutionId');
    expect(payload).not.toHaveProperty('QueryResult');
  });
});

describe('bundled callbacker: signing', () => {
  it('sends one signature per secret during a rotation, each verifying with its own secret', async () => {
    // GIVEN
    const event = endedQueryEvent({ callbackUrl: receiver.url(), state: 'CANCELLED' });

    // WHEN
    await handlerWith({ WEBHOOK_SECRET_ARN: ROTATION_ARN })(event);

    // THEN
    const { body, headers } = onlyDelivery();
    const signatures = String(headers['webhook-signature']).split(' ');
    expect(signatures).toHaveLength(2);
    signatures.forEach((signature, index) => {
      const only = { ...signatureHeaders(headers), 'webhook-signature': signature };
      expect(() => new Webhook([SECRET, NEXT_SECRET][index]).verify(body, only)).not.toThrow();
      expect(() => new Webhook([NEXT_SECRET, SECRET][index]).verify(body, only)).toThrow('No matching signature found');
    });
    expect(() => new Webhook(UNRELATED_SECRET).verify(body, signatureHeaders(headers))).toThrow('No matching signature found');
  });

  it('keeps the webhook-id the same across invocations for the same execution', async () => {
    // GIVEN
    const event = endedQueryEvent({ callbackUrl: receiver.url(), state: 'FAILED', execution: 'same-execution' });
    const other = endedQueryEvent({ callbackUrl: receiver.url(), state: 'FAILED', execution: 'another-execution' });

    // WHEN
    const results = [await handlerWith()(event), await handlerWith()(event), await handlerWith()(other)];

    // THEN
    const ids = receiver.requests.map((r) => r.headers['webhook-id']);
    expect(ids).toEqual(results.map((r) => r.WebhookId));
    expect(ids[1]).toBe(ids[0]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('keeps the secret it read for the cache period, and a new sandbox reads the new value', async () => {
    // GIVEN: a sandbox that has signed once, then a rotation in Secrets Manager
    const arn = await moto.createSecret('callback-cached', SECRET);
    const warm = handlerWith({ WEBHOOK_SECRET_ARN: arn });
    await warm(endedQueryEvent({ callbackUrl: receiver.url(), state: 'FAILED' }));
    await moto.putSecretValue(arn, NEXT_SECRET);

    // WHEN
    receiver.respondWith((_req, res) => res.writeHead(204).end());
    await warm(endedQueryEvent({ callbackUrl: receiver.url(), state: 'CANCELLED' }));
    await handlerWith({ WEBHOOK_SECRET_ARN: arn })(endedQueryEvent({ callbackUrl: receiver.url(), state: 'CANCELLED' }));

    // THEN
    const [fromWarm, fromFresh] = receiver.requests;
    expect(() => new Webhook(SECRET).verify(fromWarm.body, signatureHeaders(fromWarm.headers))).not.toThrow();
    expect(() => new Webhook(NEXT_SECRET).verify(fromFresh.body, signatureHeaders(fromFresh.headers))).not.toThrow();
    expect(() => new Webhook(SECRET).verify(fromFresh.body, signatureHeaders(fromFresh.headers))).toThrow('No matching signature found');
  });

  it('sends no signature when signing is disabled, but still the webhook-id', async () => {
    // GIVEN
    const event = endedQueryEvent({ callbackUrl: receiver.url(), state: 'FAILED' });

    // WHEN
    await handlerWith({ WEBHOOK_SIGNING: 'disabled', WEBHOOK_SECRET_ARN: '' })(event);

    // THEN
    const { headers } = onlyDelivery();
    expect(headers['webhook-signature']).toBeUndefined();
    expect(headers['webhook-timestamp']).toBeUndefined();
    expect(headers['webhook-id']).toMatch(/^msg_[A-Za-z0-9_-]{43}$/);
  });

  it.each([
    ['a secret that does not exist', () => MISSING_ARN, (arn: string) => `secretsmanager:GetSecretValue of ${arn} failed with ResourceNotFoundException`],
    ['a garbled secret', () => GARBLED_ARN, (arn: string) => `The value 1 of 1 in signing secret ${arn} is not valid base64 after whsec_`],
  ])('fails with SigningSecretUnavailableError for %s, before any POST', async (_label, arnOf, messageFor) => {
    // GIVEN: the secrets are created in moto before the tests run
    const arn = arnOf();
    const message = messageFor(arn);
    const handler = handlerWith({ WEBHOOK_SECRET_ARN: arn });

    // WHEN
    const invocation = handler(endedQueryEvent({ callbackUrl: receiver.url(), state: 'FAILED' }));

    // THEN
    await expect(invocation).rejects.toMatchObject({ name: 'SigningSecretUnavailableError', message });
    expect(receiver.requests).toHaveLength(0);
  });
});

describe('bundled callbacker: refusals', () => {
  it.each([
    ['a metadata-service URL', 'CallbackUrlBlockedError', () => ({ CallbackUrl: `http://169.254.169.254:${receiver.port}/latest/meta-data/` })],
    ['a port outside the allowlist', 'CallbackUrlBlockedError', () => ({ CallbackUrl: 'http://127.0.0.1:1/hook' })],
    ['a malformed ExecutionArn', 'InvalidDeliveryRequestError', () => ({ ExecutionArn: 'exec-1' })],
    [
      'an OutputLocation that is not s3://bucket/key',
      'ResultLocationError',
      () => ({ QueryOutcome: { QueryExecution: { Status: { State: 'SUCCEEDED' }, ResultConfiguration: { OutputLocation: 'https://x/y.csv' } } } }),
    ],
  ])('refuses %s with %s and sends nothing', async (_label, name, override) => {
    // GIVEN
    const event = { ...succeededEvent({ callbackUrl: receiver.url(), outputLocation: 's3://results/athena/qid-1.csv' }), ...override() };

    // WHEN
    const invocation = handlerWith()(event);

    // THEN
    await expect(invocation).rejects.toMatchObject({ name });
    expect(receiver.requests).toHaveLength(0);
  });

  it('fails with CallbackerConfigurationError naming a bad variable', async () => {
    // GIVEN
    const handler = handlerWith({ PRESIGN_EXPIRY_SECONDS: '0' });

    // WHEN
    const invocation = handler(endedQueryEvent({ callbackUrl: receiver.url(), state: 'FAILED' }));

    // THEN
    await expect(invocation).rejects.toMatchObject({
      name: 'CallbackerConfigurationError',
      message: "Environment variable PRESIGN_EXPIRY_SECONDS must be an integer from 1 to 604800, got '0'",
    });
  });

  it('ignores the loopback testing flag inside a Lambda sandbox', async () => {
    // GIVEN
    const handler = handlerWith({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' });

    // WHEN
    const invocation = handler(endedQueryEvent({ callbackUrl: receiver.url(), state: 'FAILED' }));

    // THEN
    await expect(invocation).rejects.toMatchObject({ name: 'CallbackUrlBlockedError', message: expect.stringContaining("must use https, got scheme 'http:'") });
    expect(receiver.requests).toHaveLength(0);
  });
});

describe('bundled callbacker: AWS endpoints', () => {
  async function closedEndpoint(): Promise<string> {
    const gone = await startReceiver();
    await gone.close();
    return `http://127.0.0.1:${gone.port}`;
  }

  it('follows AWS_ENDPOINT_URL_S3 and AWS_ENDPOINT_URL_SECRETS_MANAGER over AWS_ENDPOINT_URL', async () => {
    // GIVEN: the general variable points nowhere
    const outputLocation = await putResult('athena/endpoints-1.csv');

    // WHEN
    const result = await handlerWith({ AWS_ENDPOINT_URL: await closedEndpoint() })(succeededEvent({ callbackUrl: receiver.url(), outputLocation }));

    // THEN
    const { body, payload, headers } = onlyDelivery();
    expect(result.StatusCode).toBe(204);
    expect(payload.QueryResult.PresignedUrl.startsWith(`${s3.endpoint}/results/athena/endpoints-1.csv?`)).toBe(true);
    expect((await fetch(payload.QueryResult.PresignedUrl)).status).toBe(200);
    expect(() => new Webhook(SECRET).verify(body, signatureHeaders(headers))).not.toThrow();
  });

  it('falls back to AWS_ENDPOINT_URL for a service without its own variable', async () => {
    // GIVEN
    const event = endedQueryEvent({ callbackUrl: receiver.url(), state: 'FAILED' });

    // WHEN
    await handlerWith({ AWS_ENDPOINT_URL_SECRETS_MANAGER: '', AWS_ENDPOINT_URL: moto.endpoint })(event);

    // THEN
    const { body, headers } = onlyDelivery();
    expect(() => new Webhook(SECRET).verify(body, signatureHeaders(headers))).not.toThrow();
  });

  it('presigns for the regional S3 endpoint when configured endpoints are switched off', async () => {
    // GIVEN
    const event = succeededEvent({ callbackUrl: receiver.url(), outputLocation: 's3://results/athena/q.csv' });

    // WHEN
    await handlerWith({ AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'true', AWS_REGION: 'eu-west-3', WEBHOOK_SIGNING: 'disabled' })(event);

    // THEN
    const url = new URL(onlyDelivery().payload.QueryResult.PresignedUrl);
    expect(`${url.origin}${url.pathname}`).toBe('https://results.s3.eu-west-3.amazonaws.com/athena/q.csv');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^S3RVER\/\d{8}\/eu-west-3\/s3\/aws4_request$/);
  });
});

describe('bundled callbacker: no caller secret in errors or logs', () => {
  const TOKEN = 'tok-7f3e9a1c';

  async function closedPort(): Promise<number> {
    const gone = await startReceiver();
    await gone.close();
    return gone.port;
  }

  it.each([
    ['a port out of range', 'CallbackUrlBlockedError', (): string => `https://receiver.example.com:99999/cb?token=${TOKEN}`, {}],
    ['a port outside the allowlist', 'CallbackUrlBlockedError', (): string => `http://127.0.0.1:1/cb?token=${TOKEN}#${TOKEN}`, {}],
    ['a host that does not parse', 'CallbackUrlBlockedError', (): string => `https://rec eiver.example.com/cb?token=${TOKEN}`, {}],
    ['credentials in the URL', 'CallbackUrlBlockedError', (): string => `https://hook:${TOKEN}@receiver.example.com/cb`, {}],
    ['credentials and a bad port', 'CallbackUrlBlockedError', (): string => `https://hook:${TOKEN}@receiver.example.com:x/cb`, {}],
    ['text that is no URL', 'CallbackUrlBlockedError', (): string => `callback?token=${TOKEN}`, {}],
    ['a URL over the length limit', 'InvalidDeliveryRequestError', (): string => `https://receiver.example.com/cb?token=${TOKEN}&pad=${'x'.repeat(5000)}`, {}],
    ['a receiver answering 500', 'CallbackRetryableError', (): string => receiver.url(`/hook?token=${TOKEN}`), { respond: 500 }],
    ['a receiver answering 400', 'CallbackRejectedError', (): string => receiver.url(`/hook?token=${TOKEN}`), { respond: 400 }],
  ] as const)('keeps the token out of the error for %s', async (_label, name, url, options) => {
    // GIVEN
    if ('respond' in options) receiver.respondWith((_req, res) => res.writeHead(options.respond).end(`echo: ${url()}`));
    const logged = [jest.spyOn(console, 'log'), jest.spyOn(console, 'error'), jest.spyOn(console, 'warn')];
    logged.forEach((spy) => spy.mockImplementation(() => undefined));

    // WHEN
    const error = await handlerWith()(endedQueryEvent({ callbackUrl: url(), state: 'FAILED' })).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    // THEN
    expect(error).toMatchObject({ name });
    expect(inspect(error, { depth: 10 })).not.toContain(TOKEN);
    expect(JSON.stringify({ errorMessage: (error as Error).message, trace: (error as Error).stack })).not.toContain(TOKEN);
    expect(logged.flatMap((spy) => spy.mock.calls.flat()).map((line) => inspect(line)).join('\n')).not.toContain(TOKEN);
  });

  it('keeps the token out of the error when the receiver cannot be reached', async () => {
    // GIVEN
    const port = await closedPort();

    // WHEN
    const error = await handlerWith({ CALLBACK_ALLOWED_PORTS: String(port) })(
      endedQueryEvent({ callbackUrl: `http://127.0.0.1:${port}/hook?token=${TOKEN}`, state: 'FAILED' }),
    ).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );

    // THEN
    expect(error).toMatchObject({ name: 'CallbackRetryableError', message: expect.stringContaining('/hook?...') });
    expect(inspect(error, { depth: 10 })).not.toContain(TOKEN);
  });

  it('keeps a URL given as a non-string out of the error', async () => {
    // GIVEN
    const event = { ...endedQueryEvent({ callbackUrl: receiver.url(), state: 'FAILED' }), CallbackUrl: { url: `https://x.example/?token=${TOKEN}` } };

    // WHEN
    const invocation = handlerWith()(event as unknown as Parameters<BundledHandler>[0]);

    // THEN
    await expect(invocation).rejects.toMatchObject({ name: 'InvalidDeliveryRequestError', message: expect.not.stringContaining(TOKEN) });
  });

  it('shows what it refused, without the secret parts', async () => {
    // GIVEN
    const event = endedQueryEvent({ callbackUrl: `https://hook:${TOKEN}@receiver.example.com:99999/cb?token=${TOKEN}`, state: 'FAILED' });

    // WHEN
    const invocation = handlerWith()(event);

    // THEN
    await expect(invocation).rejects.toMatchObject({
      name: 'CallbackUrlBlockedError',
      message: "CallbackUrl must be an absolute URL with a valid host and port, got 'https://receiver.example.com:99999/cb?...'",
    });
  });
});

function flipLastHex(hex: string): string {
  return hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0');
}
