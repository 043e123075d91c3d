/**
 * The bundled callbacker presigning with a dedicated role (PRESIGNER_ROLE_ARN), against a local S3 that verifies the
 * session-signed URLs: through moto's STS (the real protocol and session credentials), and through a scripted STS
 * for what moto does not model (the requested DurationSeconds, short sessions, the role-chaining refusal) and for a
 * clock the test controls.
 */
import { acceptDeliveriesQuietly, type BundledHandler, loadBundledHandler } from '../support/bundled-callbacker';
import { succeededEvent } from '../support/callbacker-events';
import { type LocalReceiver, startReceiver } from '../support/local-receiver';
import { type LocalS3, S3RVER_CREDENTIALS, startLocalS3 } from '../support/local-s3';
import { type LocalSts, type LocalStsOptions, startLocalSts } from '../support/local-sts';
import { type MotoServer, startMoto } from '../support/moto-server';

const ROLE_ARN = 'arn:aws:iam::123456789012:role/async-athena-presigner';
const CSV = '"id"\n"1"\n';

let s3: LocalS3;
let receiver: LocalReceiver;
let moto: MotoServer;
const stsServers: LocalSts[] = [];

beforeAll(async () => {
  [s3, receiver, moto] = await Promise.all([startLocalS3(['results']), startReceiver(), startMoto()]);
  await s3.putObject('results', 'athena/role.csv', CSV);
});

afterAll(async () => {
  await Promise.all([s3.close(), receiver.close(), moto.close(), ...stsServers.map((sts) => sts.close())]);
});

acceptDeliveriesQuietly(() => receiver);

async function stsWith(options: Partial<LocalStsOptions>): Promise<LocalSts> {
  const sts = await startLocalSts({ ...S3RVER_CREDENTIALS, ...options });
  stsServers.push(sts);
  return sts;
}

function handlerWith(stsEndpoint: string, vars: Record<string, string>): BundledHandler {
  return loadBundledHandler({
    AWS_REGION: 'us-east-1',
    // The function's own credentials: unknown to S3, so only the role's session can sign a working URL.
    AWS_ACCESS_KEY_ID: 'FUNCTION-ROLE-KEY',
    AWS_SECRET_ACCESS_KEY: 'function-role-secret',
    AWS_SESSION_TOKEN: 'function-role-token',
    AWS_ENDPOINT_URL_S3: s3.endpoint,
    AWS_ENDPOINT_URL_STS: stsEndpoint,
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

function accessKeyOf(url: URL): string {
  return (url.searchParams.get('X-Amz-Credential') ?? '').split('/')[0];
}

describe('bundled callbacker: presigner role through moto STS', () => {
  it('signs with the session moto issued for the presigner role, and the URL downloads', async () => {
    // GIVEN
    const handler = handlerWith(moto.endpoint, { PRESIGN_EXPIRY_SECONDS: '3600' });

    // WHEN
    const result = await handler(event());

    // THEN
    const url = lastUrl();
    const session = await moto.assumedRole(accessKeyOf(url));
    expect(session).toMatchObject({ roleArn: ROLE_ARN, sessionName: 'cdktf-async-athena-query-presigner' });
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe(session?.sessionToken);
    expect(result.ExpiredIn).toBe(3600);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    s3.allowKey(session?.accessKeyId ?? '', session?.secretAccessKey ?? '');
    const download = await fetch(url);
    expect(download.status).toBe(200);
    expect(await download.text()).toBe(CSV);
  });

  it('hands out a URL the S3 server refuses while it does not know the session', async () => {
    // GIVEN: a session S3 has never heard of (as if its role had no s3:GetObject)
    const handler = handlerWith(moto.endpoint, { PRESIGN_EXPIRY_SECONDS: '600' });
    await handler(event());

    // WHEN
    const download = await fetch(lastUrl());

    // THEN
    expect(download.status).toBe(403);
  });

  it('reuses the session within one sandbox while it still gives the full expiry', async () => {
    // GIVEN: 600 s asked, so the session (900 s) outlives the URL by five minutes
    const handler = handlerWith(moto.endpoint, { PRESIGN_EXPIRY_SECONDS: '600' });
    const before = (await moto.assumedRolesOf(ROLE_ARN)).length;

    // WHEN
    await handler(event());
    const first = accessKeyOf(lastUrl());
    await handler(event());

    // THEN
    expect(accessKeyOf(lastUrl())).toBe(first);
    expect(await moto.assumedRolesOf(ROLE_ARN)).toHaveLength(before + 1);
  });

  it('fails with PresignFailedError naming the role when STS cannot be reached, and sends nothing', async () => {
    // GIVEN: an STS endpoint nobody listens on
    const gone = await startReceiver();
    await gone.close();
    const before = receiver.requests.length;

    // WHEN
    const invocation = handlerWith(gone.url('').replace(/\/$/, ''), { PRESIGN_EXPIRY_SECONDS: '600' })(event());

    // THEN
    await expect(invocation).rejects.toMatchObject({
      name: 'PresignFailedError',
      message: expect.stringContaining(`sts:AssumeRole of ${ROLE_ARN} for 900 s failed`),
    });
    expect(receiver.requests).toHaveLength(before);
  });
});

describe('bundled callbacker: presigner role through a scripted STS', () => {
  it('asks for the requested expiry plus five minutes, with the fixed session name', async () => {
    // GIVEN
    const sts = await stsWith({});

    // WHEN
    const result = await handlerWith(sts.endpoint, { PRESIGN_EXPIRY_SECONDS: '3600' })(event());

    // THEN
    expect(sts.requests).toEqual([
      { Action: 'AssumeRole', Version: '2011-06-15', RoleArn: ROLE_ARN, RoleSessionName: 'cdktf-async-athena-query-presigner', DurationSeconds: '3900' },
    ]);
    expect(result.ExpiredIn).toBe(3600);
    expect(lastUrl().searchParams.get('X-Amz-Security-Token')).toBe('local-session-token-1');
    expect((await fetch(lastUrl())).status).toBe(200);
  });

  it('reports the session lifetime as ExpiredIn when the role gives less than requested', async () => {
    // GIVEN: STS issues credentials that expire in 1000 s although 3900 s were asked for
    const sts = await stsWith({ expiresInSeconds: 1000 });

    // WHEN
    const result = await handlerWith(sts.endpoint, { PRESIGN_EXPIRY_SECONDS: '3600' })(event());

    // THEN
    expect(result.ExpiredIn).toBeLessThanOrEqual(1000);
    expect(result.ExpiredIn).toBeGreaterThan(990);
    expect(lastUrl().searchParams.get('X-Amz-Expires')).toBe(String(result.ExpiredIn));
    expect((await fetch(lastUrl())).status).toBe(200);
  });

  it('falls back to a one-hour session when STS refuses the longer duration (role chaining)', async () => {
    // GIVEN
    const sts = await stsWith({ maxDurationSeconds: 3600 });

    // WHEN
    const result = await handlerWith(sts.endpoint, { PRESIGN_EXPIRY_SECONDS: '7200' })(event());

    // THEN
    expect(sts.requests.map((r) => r.DurationSeconds)).toEqual(['7500', '3600']);
    expect(result.ExpiredIn).toBeLessThanOrEqual(3600);
    expect(result.ExpiredIn).toBeGreaterThan(3590);
    expect(lastUrl().searchParams.get('X-Amz-Expires')).toBe(String(result.ExpiredIn));
  });

  it('fails with PresignFailedError when STS refuses, and sends nothing', async () => {
    // GIVEN
    const sts = await stsWith({ maxDurationSeconds: 100 });
    const before = receiver.requests.length;

    // WHEN
    const invocation = handlerWith(sts.endpoint, { PRESIGN_EXPIRY_SECONDS: '60' })(event());

    // THEN
    await expect(invocation).rejects.toMatchObject({
      name: 'PresignFailedError',
      message: expect.stringContaining(`sts:AssumeRole of ${ROLE_ARN} for 900 s failed: ValidationError`),
    });
    expect(receiver.requests).toHaveLength(before);
  });
});

describe('bundled callbacker: presigner session renewal on a controlled clock', () => {
  let start: number;

  beforeEach(() => {
    // Only Date is faked: the bundle, the SDK and the scripted STS read the same clock, while timers, sockets and
    // promises run for real. It starts at the real time, as the SDK takes a server Date header more than five
    // minutes off the local clock for clock skew and retries the call.
    start = Date.now();
    jest.useFakeTimers({
      now: start,
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
  });

  afterEach(() => jest.useRealTimers());

  /** Runs one delivery at `secondsAfterStart` on the controlled clock and returns its ExpiredIn. */
  async function deliverAt(handler: BundledHandler, secondsAfterStart: number): Promise<number | undefined> {
    jest.setSystemTime(start + secondsAfterStart * 1000);
    return (await handler(event())).ExpiredIn;
  }

  it('assumes the role again once a fresh session would give a longer URL than the cached one', async () => {
    // GIVEN: two hours asked, but role chaining caps sessions at one hour
    const sts = await stsWith({ maxDurationSeconds: 3600 });
    const handler = handlerWith(sts.endpoint, { PRESIGN_EXPIRY_SECONDS: '7200' });

    // WHEN: a delivery now, one 50 minutes later (10 minutes left on the cached session), one half a second after that
    const expiries = [await deliverAt(handler, 0), await deliverAt(handler, 3000), await deliverAt(handler, 3000.5)];

    // THEN: the second delivery got a fresh one-hour session instead of a 10-minute URL; the third reused it
    expect(expiries).toEqual([3600, 3600, 3599]);
    expect(sts.requests.map((r) => r.DurationSeconds)).toEqual(['7500', '3600', '3600']);
    // Signed by the renewed session (the scripted STS numbers its tokens by request), not the SDK's memoized one.
    expect(lastUrl().searchParams.get('X-Amz-Security-Token')).toBe('local-session-token-3');
    expect(lastUrl().searchParams.get('X-Amz-Expires')).toBe('3599');
  });

  it('reuses a session that outlives the requested expiry for as long as its margin lasts', async () => {
    // GIVEN: 600 s asked, so each session (900 s) can sign full-length URLs for its first 300 s
    const sts = await stsWith({});
    const handler = handlerWith(sts.endpoint, { PRESIGN_EXPIRY_SECONDS: '600' });

    // WHEN
    const expiries = [await deliverAt(handler, 0), await deliverAt(handler, 299), await deliverAt(handler, 301.5)];

    // THEN
    expect(expiries).toEqual([600, 600, 600]);
    expect(sts.requests).toHaveLength(2);
  });

  it('assumes the role again when a short-lived session has aged, reporting its real lifetime', async () => {
    // GIVEN: the role only gives 250 s sessions
    const sts = await stsWith({ expiresInSeconds: 250 });
    const handler = handlerWith(sts.endpoint, { PRESIGN_EXPIRY_SECONDS: '900' });

    // WHEN
    const expiries = [await deliverAt(handler, 0), await deliverAt(handler, 10)];

    // THEN
    expect(expiries).toEqual([250, 250]);
    expect(sts.requests).toHaveLength(2);
  });
});
