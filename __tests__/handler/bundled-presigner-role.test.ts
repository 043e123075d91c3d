/**
 * The bundled callbacker presigning with a dedicated role (PRESIGNER_ROLE_ARN) through a local STS, against a local
 * S3 that verifies the session-token-signed URLs.
 */
import { acceptDeliveriesQuietly, type BundledHandler, loadBundledHandler } from '../support/bundled-callbacker';
import { succeededEvent } from '../support/callbacker-events';
import { type LocalReceiver, startReceiver } from '../support/local-receiver';
import { type LocalS3, S3RVER_CREDENTIALS, startLocalS3 } from '../support/local-s3';
import { type LocalSts, type LocalStsOptions, startLocalSts } from '../support/local-sts';

const ROLE_ARN = 'arn:aws:iam::123456789012:role/async-athena-presigner';
const CSV = '"id"\n"1"\n';

let s3: LocalS3;
let receiver: LocalReceiver;
const stsServers: LocalSts[] = [];

beforeAll(async () => {
  [s3, receiver] = await Promise.all([startLocalS3(['results']), startReceiver()]);
  await s3.putObject('results', 'athena/role.csv', CSV);
});

afterAll(async () => {
  await Promise.all([s3.close(), receiver.close(), ...stsServers.map((sts) => sts.close())]);
});

acceptDeliveriesQuietly(() => receiver);

async function stsWith(options: Partial<LocalStsOptions>): Promise<LocalSts> {
  const sts = await startLocalSts({ ...S3RVER_CREDENTIALS, ...options });
  stsServers.push(sts);
  return sts;
}

function handlerWith(sts: LocalSts, vars: Record<string, string>): BundledHandler {
  return loadBundledHandler({
    AWS_REGION: 'us-east-1',
    // The function's own credentials: deliberately wrong for S3, so only the role's session can sign a working URL.
    AWS_ACCESS_KEY_ID: 'FUNCTION-ROLE-KEY',
    AWS_SECRET_ACCESS_KEY: 'function-role-secret',
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_STS: sts.endpoint,
    PRESIGNER_ROLE_ARN: ROLE_ARN,
    WEBHOOK_SIGNING: 'disabled',
    DANGEROUSLY_ALLOW_LOOPBACK_HTTP_CALLBACKS: 'true',
    CALLBACK_ALLOWED_PORTS: String(receiver.port),
    ...vars,
  });
}

function event() {
  return succeededEvent({ callbackUrl: receiver.url(), outputLocation: 's3://results/athena/role.csv' });
}

function lastUrl(): URL {
  const last = receiver.requests[receiver.requests.length - 1];
  return new URL(JSON.parse(last.body).QueryResult.PresignedUrl);
}

describe('bundled callbacker: presigner role', () => {
  it('signs with the assumed session, asking for the requested expiry plus five minutes', async () => {
    // GIVEN
    const sts = await stsWith({});

    // WHEN
    const result = await handlerWith(sts, { PRESIGN_EXPIRY_SECONDS: '3600' })(event());

    // THEN
    expect(sts.requests).toEqual([
      { Action: 'AssumeRole', Version: '2011-06-15', RoleArn: ROLE_ARN, RoleSessionName: 'cdktf-async-athena-query-presigner', DurationSeconds: '3900' },
    ]);
    const url = lastUrl();
    expect(result.ExpiredIn).toBe(3600);
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('local-session-token-1');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^S3RVER\//);
    const download = await fetch(url);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe(CSV);
  });

  it('reports the session lifetime as ExpiredIn when the role gives less than requested', async () => {
    // GIVEN: STS issues credentials that expire in 1000 s although 3900 s were asked for
    const sts = await stsWith({ expiresInSeconds: 1000 });

    // WHEN
    const result = await handlerWith(sts, { PRESIGN_EXPIRY_SECONDS: '3600' })(event());

    // THEN
    expect(result.ExpiredIn).toBeLessThanOrEqual(1000);
    expect(result.ExpiredIn).toBeGreaterThan(990);
    expect(lastUrl().searchParams.get('X-Amz-Expires')).toBe(String(result.ExpiredIn));
    expect((await fetch(lastUrl())).status).toBe(200);
  });

  it('reuses the cached session while it still covers the requested expiry', async () => {
    // GIVEN
    const sts = await stsWith({});
    const handler = handlerWith(sts, { PRESIGN_EXPIRY_SECONDS: '600' });

    // WHEN
    const results = [await handler(event()), await handler(event())];

    // THEN
    expect(sts.requests).toHaveLength(1);
    expect(results.map((r) => r.ExpiredIn)).toEqual([600, 600]);
  });

  it('assumes the role again when the cached session has five minutes or less left', async () => {
    // GIVEN: the role only gives 250 s sessions, below the five-minute reuse floor
    const sts = await stsWith({ expiresInSeconds: 250 });
    const handler = handlerWith(sts, { PRESIGN_EXPIRY_SECONDS: '900' });

    // WHEN
    const results = [await handler(event()), await handler(event())];

    // THEN
    expect(sts.requests).toHaveLength(2);
    results.forEach((result) => expect(result.ExpiredIn).toBeLessThanOrEqual(250));
  });

  it('falls back to a one-hour session when STS refuses the longer duration (role chaining)', async () => {
    // GIVEN
    const sts = await stsWith({ maxDurationSeconds: 3600 });

    // WHEN
    const result = await handlerWith(sts, { PRESIGN_EXPIRY_SECONDS: '7200' })(event());

    // THEN
    expect(sts.requests.map((r) => r.DurationSeconds)).toEqual(['7500', '3600']);
    expect(result.ExpiredIn).toBeLessThanOrEqual(3600);
    expect(result.ExpiredIn).toBeGreaterThan(3590);
    expect(lastUrl().searchParams.get('X-Amz-Expires')).toBe(String(result.ExpiredIn));
  });

  it('asks for one hour straight away once STS has refused a longer session', async () => {
    // GIVEN: one-hour sessions that expire after 250 s, so every invocation needs a fresh one
    const sts = await stsWith({ maxDurationSeconds: 3600, expiresInSeconds: 250 });
    const handler = handlerWith(sts, { PRESIGN_EXPIRY_SECONDS: '7200' });

    // WHEN
    await handler(event());
    await handler(event());

    // THEN
    expect(sts.requests.map((r) => r.DurationSeconds)).toEqual(['7500', '3600', '3600']);
  });

  it('fails with PresignFailedError when STS refuses, and sends nothing', async () => {
    // GIVEN
    const sts = await stsWith({ maxDurationSeconds: 100 });
    const before = receiver.requests.length;

    // WHEN
    const invocation = handlerWith(sts, { PRESIGN_EXPIRY_SECONDS: '60' })(event());

    // THEN
    await expect(invocation).rejects.toMatchObject({
      name: 'PresignFailedError',
      message: expect.stringContaining(`sts:AssumeRole of ${ROLE_ARN} for 900 s failed: ValidationError`),
    });
    expect(receiver.requests).toHaveLength(before);
  });
});
