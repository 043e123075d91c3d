import * as http from 'node:http';
import * as https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { deliver, type DeliverySettings, judgeStatus, MAX_RESPONSE_BYTES, parseRetryAfterSeconds, type RequestFunction } from '../../handler/deliver';
import { CallbackRejectedError, CallbackRetryableError, CallbackRetryAfterError, CallbackUrlBlockedError } from '../../handler/errors';
import type { CallbackPolicy, Resolver } from '../../handler/ssrf';
import { type LocalReceiver, type Responder, startReceiver, status } from '../support/local-receiver';
import { INTERNAL_ADDRESSES, INTERNAL_URL_HOSTS } from '../support/ssrf-corpus';
import { selfSignedCertificate } from '../support/tls-fixture';

const BODY = JSON.stringify({ State: { State: 'FAILED' }, ExecutionArn: 'arn:aws:states:eu-west-1:123456789012:execution:sm:x' });

function settingsFor(port: number, policy: Partial<CallbackPolicy> = {}, limits: Partial<DeliverySettings> = {}): DeliverySettings {
  return {
    policy: { allowedHosts: [], allowedPorts: [port], allowLoopbackHttp: false, ...policy },
    connectTimeoutMs: 1000,
    totalTimeoutMs: 2000,
    retryAfterCapSeconds: 3600,
    ...limits,
  };
}

function message(url: string) {
  return { url, body: BODY, headers: () => ({ 'Content-Type': 'application/json' }) };
}

/** A request function that fails the test if the delivery ever tries to connect. */
function forbiddenRequest(): jest.Mock<http.ClientRequest, [https.RequestOptions]> {
  return jest.fn((options: https.RequestOptions): http.ClientRequest => {
    throw new Error(`a connection to ${String(options.host)} was attempted`);
  });
}

function resolverTo(...addresses: string[]): jest.Mock<ReturnType<Resolver>, Parameters<Resolver>> {
  return jest.fn(async (_hostname: string) => addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));
}

describe('deliver: the SSRF corpus through the real delivery path', () => {
  // A loopback server on the allowed port: if any blocked URL slipped through, it would see the connection.
  let trap: LocalReceiver;
  beforeAll(async () => {
    trap = await startReceiver();
  });
  afterAll(() => trap.close());

  it.each(INTERNAL_URL_HOSTS)('blocks the literal host %s before any connection', async (host) => {
    // GIVEN
    const request = forbiddenRequest();
    const resolve = resolverTo('8.8.8.8');

    // WHEN
    const delivery = deliver(message(`https://${host}:${trap.port}/hook`), settingsFor(trap.port), { request, resolve });

    // THEN
    await expect(delivery).rejects.toThrow(CallbackUrlBlockedError);
    expect(request).not.toHaveBeenCalled();
    expect(resolve).not.toHaveBeenCalled();
    expect(trap.connections()).toBe(0);
  });

  it.each(INTERNAL_ADDRESSES)('blocks a name that resolves to %s (%s) before any connection', async (address) => {
    // GIVEN
    const request = forbiddenRequest();

    // WHEN
    const delivery = deliver(message(`https://internal.example.test:${trap.port}/hook`), settingsFor(trap.port), {
      request,
      resolve: resolverTo('93.184.215.14', address),
    });

    // THEN
    await expect(delivery).rejects.toThrow(CallbackUrlBlockedError);
    await expect(delivery).rejects.toThrow("CallbackUrl host 'internal.example.test' resolves to internal address");
    expect(request).not.toHaveBeenCalled();
    expect(trap.connections()).toBe(0);
  });

  it('blocks a name resolving to loopback with the real request function, and the trap sees no connection', async () => {
    // GIVEN
    const resolve = resolverTo('127.0.0.1');

    // WHEN
    const delivery = deliver(message(`https://localhost.example.test:${trap.port}/hook`), settingsFor(trap.port), { resolve });

    // THEN
    await expect(delivery).rejects.toThrow(CallbackUrlBlockedError);
    expect(trap.connections()).toBe(0);
  });

  it('blocks localhost through the system resolver', async () => {
    // GIVEN
    const request = forbiddenRequest();

    // WHEN
    const delivery = deliver(message(`https://localhost:${trap.port}/hook`), settingsFor(trap.port), { request });

    // THEN
    await expect(delivery).rejects.toThrow(/CallbackUrl host 'localhost' resolves to internal address (127\.0\.0\.1|::1)/);
    expect(request).not.toHaveBeenCalled();
  });

  it('reaches the trap when the policy allows loopback, so the trap can see connections (control)', async () => {
    // GIVEN
    trap.respondWith(status(204));

    // WHEN
    const outcome = await deliver(message(`http://localhost.example.test:${trap.port}/hook`), settingsFor(trap.port, { allowLoopbackHttp: true }), {
      resolve: resolverTo('127.0.0.1'),
    });

    // THEN
    expect(outcome.statusCode).toBe(204);
    expect(trap.connections()).toBe(1);
  });
});

describe('deliver: connecting to the checked address', () => {
  const tls = selfSignedCertificate('receiver.test');
  let receiver: LocalReceiver;
  const servernames: unknown[] = [];
  beforeAll(async () => {
    const server = https.createServer({ key: tls.key, cert: tls.cert });
    // TLSSocket.servername is the SNI the client sent (https://nodejs.org/api/tls.html#tlssocketservername); @types/node 20 omits it.
    server.on('secureConnection', (socket: TLSSocket) => servernames.push((socket as TLSSocket & { servername?: unknown }).servername));
    receiver = await startReceiver(server);
  });
  afterAll(() => receiver.close());

  it('resolves once, connects to that address, sends SNI and Host of the real name, and verifies the certificate against it', async () => {
    // GIVEN: a rebinding resolver that would answer an internal address on a second lookup
    const resolve = jest
      .fn<ReturnType<Resolver>, Parameters<Resolver>>()
      .mockResolvedValueOnce([{ address: '127.0.0.1', family: 4 }])
      .mockResolvedValue([{ address: '10.0.0.1', family: 4 }]);
    receiver.respondWith(status(202));

    // WHEN
    const outcome = await deliver(message(`https://receiver.test:${receiver.port}/hook?attempt=1`), settingsFor(receiver.port, { allowLoopbackHttp: true }), {
      resolve,
      ca: tls.cert,
    });

    // THEN
    expect(outcome).toEqual({ statusCode: 202, bytesRead: 0 });
    expect(resolve).toHaveBeenCalledTimes(1);
    expect(servernames).toEqual(['receiver.test']);
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]).toMatchObject({ method: 'POST', url: '/hook?attempt=1', body: BODY });
    expect(receiver.requests[0].headers.host).toBe(`receiver.test:${receiver.port}`);
    expect(receiver.requests[0].headers['content-length']).toBe(String(Buffer.byteLength(BODY)));
  });

  it('fails retryably when the certificate does not name the URL host', async () => {
    // GIVEN
    receiver.respondWith(status(204));

    // WHEN
    const delivery = deliver(message(`https://impostor.test:${receiver.port}/hook`), settingsFor(receiver.port, { allowLoopbackHttp: true }), {
      resolve: resolverTo('127.0.0.1'),
      ca: tls.cert,
    });

    // THEN
    await expect(delivery).rejects.toThrow(CallbackRetryableError);
    await expect(delivery).rejects.toThrow('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(receiver.requests).toHaveLength(0);
  });
});

describe('deliver: answers and limits', () => {
  let receiver: LocalReceiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(() => receiver.close());

  const loopback = () => settingsFor(receiver.port, { allowLoopbackHttp: true });

  it.each([
    [200, 'success'],
    [201, 'success'],
    [204, 'success'],
    [301, 'rejected'],
    [302, 'rejected'],
    [307, 'rejected'],
    [308, 'rejected'],
    [400, 'rejected'],
    [401, 'rejected'],
    [403, 'rejected'],
    [404, 'rejected'],
    [410, 'rejected'],
    [422, 'rejected'],
    [408, 'retryable'],
    [429, 'retryable'],
    [500, 'retryable'],
    [502, 'retryable'],
    [503, 'retryable'],
    [504, 'retryable'],
  ])('treats %d as %s after a single POST', async (code, verdict) => {
    // GIVEN
    receiver.respondWith(status(code, code >= 300 && code < 400 ? { Location: '/elsewhere' } : {}, 'receiver says no'));

    // WHEN
    const delivery = deliver(message(receiver.url()), loopback());

    // THEN
    if (verdict === 'success') await expect(delivery).resolves.toMatchObject({ statusCode: code });
    else await expect(delivery).rejects.toThrow(verdict === 'retryable' ? CallbackRetryableError : CallbackRejectedError);
    expect(receiver.requests.map((r) => r.url)).toEqual(['/hook']);
  });

  it('quotes the status and the start of the answer in the error', async () => {
    // GIVEN
    receiver.respondWith(status(404, {}, 'no such hook\nbye'));

    // WHEN
    const delivery = deliver(message(receiver.url('/hook?token=secret')), loopback());

    // THEN
    await expect(delivery).rejects.toThrow(
      `Callback receiver http://127.0.0.1:${receiver.port}/hook?... answered 404 Not Found: no such hook bye`,
    );
  });

  it.each([429, 503])('reports the Retry-After seconds of a %d to the state machine after one POST, without waiting', async (code) => {
    // GIVEN
    receiver.respondWith(status(code, { 'Retry-After': '120' }, 'slow down'), status(200));
    const started = Date.now();

    // WHEN
    const delivery = deliver(message(receiver.url('/hook?token=secret')), loopback());

    // THEN
    const error = await delivery.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CallbackRetryAfterError);
    expect(error).toMatchObject({ name: 'CallbackRetryAfterError', retryAfterSeconds: 120 });
    expect(JSON.parse((error as Error).message)).toEqual({
      RetryAfterSeconds: 120,
      Detail: `Callback receiver http://127.0.0.1:${receiver.port}/hook?... answered ${code} ${code === 429 ? 'Too Many Requests' : 'Service Unavailable'} (Retry-After: 120): slow down`,
    });
    expect(receiver.requests).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reads a Retry-After HTTP date as the seconds from now', async () => {
    // GIVEN
    receiver.respondWith(status(503, { 'Retry-After': new Date(Date.now() + 90_000).toUTCString() }));

    // WHEN
    const error = await deliver(message(receiver.url()), loopback()).catch((e: unknown) => e);

    // THEN
    expect(error).toBeInstanceOf(CallbackRetryAfterError);
    const seconds = (error as CallbackRetryAfterError).retryAfterSeconds;
    expect(seconds).toBeGreaterThanOrEqual(85);
    expect(seconds).toBeLessThanOrEqual(90);
  });

  it('cuts a Retry-After above the cap to the cap', async () => {
    // GIVEN
    receiver.respondWith(status(429, { 'Retry-After': '86400' }));

    // WHEN
    const error = await deliver(message(receiver.url()), settingsFor(receiver.port, { allowLoopbackHttp: true }, { retryAfterCapSeconds: 3600 })).catch((e: unknown) => e);

    // THEN
    expect(error).toMatchObject({ name: 'CallbackRetryAfterError', retryAfterSeconds: 3600 });
    expect(JSON.parse((error as Error).message)).toMatchObject({ RetryAfterSeconds: 3600, Detail: expect.stringContaining('(Retry-After: 86400)') });
  });

  it.each([
    ['no Retry-After', 429, {}],
    ['an unreadable Retry-After', 429, { 'Retry-After': 'later' }],
    ['a Retry-After on a 500', 500, { 'Retry-After': '30' }],
  ])('leaves a failure with %s to the state machine\'s backoff (CallbackRetryableError)', async (_label, code, headers) => {
    // GIVEN
    receiver.respondWith(status(code, headers), status(200));

    // WHEN
    const delivery = deliver(message(receiver.url()), loopback());

    // THEN
    await expect(delivery).rejects.toThrow(CallbackRetryableError);
    await expect(delivery).rejects.not.toThrow(CallbackRetryAfterError);
    expect(receiver.requests).toHaveLength(1);
  });

  it('escapes a receiver body outside printable ASCII, so the error can go into an SQS message', async () => {
    // GIVEN: U+FFFF and a lone surrogate are refused by SQS; the tab and the e-acute are escaped too
    receiver.respondWith(status(400, { 'Content-Type': 'text/plain; charset=utf-8' }, 'bad\uFFFF\tcaf\u00e9'));

    // WHEN
    const error = (await deliver(message(receiver.url()), loopback()).catch((e: unknown) => e)) as Error;

    // THEN
    expect(error).toBeInstanceOf(CallbackRejectedError);
    expect(error.message).toMatch(/: bad\\uFFFF caf\\u00E9$/);
    expect(`${error.message}${error.stack}`).toMatch(/^[\x20-\x7e\n]*$/);
  });

  it(`reads at most ${MAX_RESPONSE_BYTES} bytes of an endless answer and hangs up`, async () => {
    // GIVEN
    let written = 0;
    let serverClosed!: Promise<void>;
    const endless: Responder = (_req, res) => {
      serverClosed = new Promise((resolve) => res.on('close', resolve));
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = (): void => {
        // The 256 MiB stop only bounds the test if the client never hung up.
        while (!res.destroyed && written < 256 * 1024 * 1024 && res.write(chunk)) written += chunk.length;
      };
      res.on('drain', pump);
      pump();
    };
    receiver.respondWith(endless);

    // WHEN
    const outcome = await deliver(message(receiver.url()), loopback());
    await serverClosed;

    // THEN
    expect(outcome).toEqual({ statusCode: 200, bytesRead: MAX_RESPONSE_BYTES });
    expect(written).toBeLessThan(64 * 1024 * 1024);
  });

  it('times out a receiver that accepts but never answers', async () => {
    // GIVEN
    receiver.respondWith(() => undefined);
    const started = Date.now();

    // WHEN
    const delivery = deliver(message(receiver.url()), settingsFor(receiver.port, { allowLoopbackHttp: true }, { totalTimeoutMs: 300 }));

    // THEN
    await expect(delivery).rejects.toThrow(
      new CallbackRetryableError(`POST to http://127.0.0.1:${receiver.port}/hook (127.0.0.1 port ${receiver.port}) timed out after 300 ms`),
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out a connection that is never established', async () => {
    // GIVEN: a request whose address lookup never completes, so the socket never connects
    const stalled: RequestFunction = (options) => http.request({ ...options, lookup: () => undefined });

    // WHEN
    const delivery = deliver(
      message(`http://stalled.example.test:${receiver.port}/hook`),
      settingsFor(receiver.port, { allowLoopbackHttp: true }, { connectTimeoutMs: 200 }),
      { request: stalled, resolve: resolverTo('127.0.0.1') },
    );

    // THEN
    await expect(delivery).rejects.toThrow(/^Connecting to .* timed out after 200 ms$/);
  });

  it('reports a refused connection as retryable', async () => {
    // GIVEN: a port nothing listens on any more
    const closed = await startReceiver();
    const port = closed.port;
    await closed.close();

    // WHEN
    const delivery = deliver(message(`http://127.0.0.1:${port}/hook`), settingsFor(port, { allowLoopbackHttp: true }));

    // THEN
    await expect(delivery).rejects.toThrow(CallbackRetryableError);
    await expect(delivery).rejects.toThrow('ECONNREFUSED');
  });
});

describe('judgeStatus', () => {
  it.each([
    [199, 'rejected'],
    [299, 'success'],
    [300, 'rejected'],
    [499, 'rejected'],
    [599, 'retryable'],
    [600, 'rejected'],
  ])('treats %d as %s', (code, verdict) => {
    // GIVEN / WHEN
    const result = judgeStatus(code);

    // THEN
    expect(result).toBe(verdict);
  });
});

describe('parseRetryAfterSeconds', () => {
  const NOW = Date.parse('2026-11-25T10:00:00Z');

  it.each([
    ['0', 0],
    [' 7 ', 7],
    ['Wed, 25 Nov 2026 10:00:05 GMT', 5],
    ['Wed, 25 Nov 2026 09:59:00 GMT', 0],
    ['Wednesday, 25-Nov-26 10:00:02 GMT', 2],
    [undefined, undefined],
    ['-1', undefined],
    ['1.5', undefined],
    ['soon', undefined],
  ])('reads %j as %j seconds', (value, expected) => {
    // GIVEN / WHEN
    const seconds = parseRetryAfterSeconds(value, NOW);

    // THEN
    expect(seconds).toBe(expected);
  });
});
