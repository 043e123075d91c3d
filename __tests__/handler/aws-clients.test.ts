/**
 * The callbacker's small AWS clients: environment credentials, the retrying signed POST, and the STS (Query/XML)
 * and Secrets Manager (JSON 1.1) answers, against a scripted local endpoint.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { environmentCredentials } from '../../handler/aws/credentials';
import { type Endpoint } from '../../handler/aws/endpoints';
import { AwsServiceError, callAws, MAX_ATTEMPTS } from '../../handler/aws/http';
import { getSecretString } from '../../handler/aws/secrets-manager';
import { assumeRole } from '../../handler/aws/sts';

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers?: http.OutgoingHttpHeaders;
  /** Never answer (for timeouts). */
  readonly stall?: boolean;
}

interface Received {
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

let server: http.Server;
let endpointUrl: string;
let answers: Answer[] = [];
const received: Received[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = answers[Math.min(received.length - 1, answers.length - 1)];
      if (answer.stall) return;
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpointUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received.length = 0;
});

const KEYS = { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' };
const noWait = { sleep: async () => undefined, random: () => 0.5 };

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: endpointUrl, ...extra };
}

function localEndpoint(): Endpoint {
  const url = new URL(endpointUrl);
  return { protocol: 'http:', host: url.host, hostname: url.hostname, port: Number(url.port), basePath: '' };
}

function plainCall() {
  return {
    endpoint: localEndpoint(),
    scope: { region: 'eu-west-1', service: 'sts' },
    credentials: KEYS,
    headers: { 'content-type': 'text/plain' },
    body: 'hello',
    parseError: (r: { statusCode: number; body: string }) => new AwsServiceError(r.body, `status ${r.statusCode}`, r.statusCode),
  };
}

describe('environmentCredentials', () => {
  it('reads the keys, the session token and AWS_CREDENTIAL_EXPIRATION', () => {
    // WHEN
    const credentials = environmentCredentials({
      AWS_ACCESS_KEY_ID: 'AKID',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
      AWS_CREDENTIAL_EXPIRATION: '2026-11-25T10:00:00Z',
    });

    // THEN
    expect(credentials).toEqual({ accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token', expiration: new Date('2026-11-25T10:00:00Z') });
  });

  it('has no expiration for long-lived keys', () => {
    expect(environmentCredentials({ AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret' }).expiration).toBeUndefined();
  });

  it.each([
    [{ AWS_ACCESS_KEY_ID: 'AKID' }, 'AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set'],
    [{ AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 's', AWS_CREDENTIAL_EXPIRATION: 'soon' }, "AWS_CREDENTIAL_EXPIRATION must be an ISO 8601 date, got 'soon'"],
  ])('refuses %j with CredentialsProviderError', (vars, message) => {
    expect(() => environmentCredentials(vars)).toThrow(expect.objectContaining({ name: 'CredentialsProviderError', message: expect.stringContaining(message) }));
  });
});

describe('callAws', () => {
  it('sends a signed POST with the session token', async () => {
    // GIVEN
    answers = [{ status: 200, body: 'ok' }];

    // WHEN
    const response = await callAws(plainCall(), noWait);

    // THEN
    expect(response.body).toBe('ok');
    expect(received).toHaveLength(1);
    expect(received[0].body).toBe('hello');
    expect(received[0].headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKID\/\d{8}\/eu-west-1\/sts\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/);
    expect(received[0].headers['x-amz-security-token']).toBe('token');
  });

  it.each([
    ['a 500', { status: 500, body: 'InternalFailure' }],
    ['a 503', { status: 503, body: 'ServiceUnavailable' }],
    ['throttling in a 400', { status: 400, body: 'Throttling' }],
    ['a 429', { status: 429, body: 'TooManyRequestsException' }],
  ])('retries %s and returns the next success', async (_label, failure) => {
    // GIVEN
    answers = [failure, { status: 200, body: 'ok' }];

    // WHEN
    const response = await callAws(plainCall(), noWait);

    // THEN
    expect(response.body).toBe('ok');
    expect(received).toHaveLength(2);
  });

  it(`gives up after ${MAX_ATTEMPTS} attempts with the last error, backing off exponentially with jitter`, async () => {
    // GIVEN
    answers = [{ status: 500, body: 'InternalFailure' }];
    const waits: number[] = [];

    // WHEN
    const call = callAws(plainCall(), { sleep: async (ms) => void waits.push(ms), random: () => 0.5 });

    // THEN
    await expect(call).rejects.toMatchObject({ name: 'InternalFailure', statusCode: 500 });
    expect(received).toHaveLength(MAX_ATTEMPTS);
    expect(waits).toEqual([50, 100]);
  });

  it('does not retry a client error', async () => {
    // GIVEN
    answers = [{ status: 400, body: 'ValidationError' }];

    // WHEN
    const call = callAws(plainCall(), noWait);

    // THEN
    await expect(call).rejects.toMatchObject({ name: 'ValidationError' });
    expect(received).toHaveLength(1);
  });

  it('times out a stalled attempt with TimeoutError, and retries it', async () => {
    // GIVEN
    answers = [{ status: 0, body: '', stall: true }];

    // WHEN
    const call = callAws(plainCall(), { ...noWait, attemptTimeoutMs: 50 });

    // THEN
    await expect(call).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(received).toHaveLength(MAX_ATTEMPTS);
  });

  it('retries connection errors', async () => {
    // GIVEN: nothing listens on port 1
    const call = { ...plainCall(), endpoint: { ...localEndpoint(), host: '127.0.0.1:1', port: 1 } };

    // WHEN
    const attempt = callAws(call, noWait);

    // THEN
    await expect(attempt).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('assumeRole', () => {
  const INPUT = { roleArn: 'arn:aws:iam::123456789012:role/p', roleSessionName: 'session', durationSeconds: 3900 };

  it('posts the Query parameters and reads the credentials, decoding XML entities', async () => {
    // GIVEN
    answers = [
      {
        status: 200,
        body:
          '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>' +
          '<AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>s&amp;cret&#x2F;&#43;</SecretAccessKey><SessionToken>tok&lt;en</SessionToken>' +
          '<Expiration>2026-11-25T11:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>',
      },
    ];

    // WHEN
    const session = await assumeRole(INPUT, KEYS, env());

    // THEN
    expect(Object.fromEntries(new URLSearchParams(received[0].body))).toEqual({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: INPUT.roleArn,
      RoleSessionName: 'session',
      DurationSeconds: '3900',
    });
    expect(received[0].headers['content-type']).toBe('application/x-www-form-urlencoded; charset=utf-8');
    expect(session).toEqual({ accessKeyId: 'ASIA1', secretAccessKey: 's&cret/+', sessionToken: 'tok<en', expiration: new Date('2026-11-25T11:00:00Z') });
  });

  it('names the error after the STS error code', async () => {
    // GIVEN
    answers = [{ status: 403, body: '<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed</Message></Error></ErrorResponse>' }];

    // WHEN
    const call = assumeRole(INPUT, KEYS, env());

    // THEN
    await expect(call).rejects.toMatchObject({ name: 'AccessDenied', message: 'not allowed', statusCode: 403 });
  });

  it('refuses an answer without complete credentials', async () => {
    answers = [{ status: 200, body: '<AssumeRoleResponse><AccessKeyId>A</AccessKeyId></AssumeRoleResponse>' }];
    await expect(assumeRole(INPUT, KEYS, env())).rejects.toThrow('the AssumeRole response carries no complete Credentials');
  });
});

describe('getSecretString', () => {
  it('posts GetSecretValue in JSON 1.1 and returns the SecretString', async () => {
    // GIVEN
    answers = [{ status: 200, body: JSON.stringify({ ARN: 'arn', SecretString: 'whsec_x' }) }];

    // WHEN
    const secret = await getSecretString('arn:aws:secretsmanager:eu-west-1:123456789012:secret:s', KEYS, env());

    // THEN
    expect(secret).toBe('whsec_x');
    expect(JSON.parse(received[0].body)).toEqual({ SecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:s' });
    expect(received[0].headers['x-amz-target']).toBe('secretsmanager.GetSecretValue');
    expect(received[0].headers['content-type']).toBe('application/x-amz-json-1.1');
  });

  it('returns undefined for a binary secret', async () => {
    answers = [{ status: 200, body: JSON.stringify({ ARN: 'arn', SecretBinary: 'AAEC' }) }];
    await expect(getSecretString('s', KEYS, env())).resolves.toBeUndefined();
  });

  it.each([
    ['a namespaced __type', { status: 400, body: JSON.stringify({ __type: 'com.amazonaws.secretsmanager#ResourceNotFoundException', Message: 'gone' }) }, 'ResourceNotFoundException'],
    ['the X-Amzn-ErrorType header', { status: 400, body: '{}', headers: { 'x-amzn-errortype': 'AccessDeniedException:http://internal.amazon.com/' } }, 'AccessDeniedException'],
    ['a body that is not JSON', { status: 502, body: '<html>' }, 'HTTP502'],
  ])('names the error from %s', async (_label, answer, name) => {
    answers = [answer];
    await expect(getSecretString('s', KEYS, env())).rejects.toMatchObject({ name });
  });
});
