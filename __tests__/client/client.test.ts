/**
 * The client against a local server that verifies SigV4 as API Gateway does and answers as the query API's contract
 * says (__tests__/support/contract-api-server.ts). Waits go through an injected sleep that records them, so no test
 * spends real time on backoff.
 */
import { Writable } from 'node:stream';
import { AsyncAthenaQueryClient, type AsyncAthenaQueryClientOptions, type SubmitQueryRequest } from '../../client';
import { type ContractApi, startContractApi } from '../support/contract-api-server';

const CREDENTIALS = { accessKeyId: 'AKIACLIENTTEST000001', secretAccessKey: 'client-test-secret-not-valid-in-aws' };
const CALLBACK = 'https://hooks.example.com/athena';

let api: ContractApi;
let sleeps: number[];

beforeEach(async () => {
  api = await startContractApi({ credentials: [CREDENTIALS] });
  sleeps = [];
});
afterEach(async () => {
  await api.close();
});

function client(options: Partial<AsyncAthenaQueryClientOptions> = {}): AsyncAthenaQueryClient {
  return new AsyncAthenaQueryClient({
    apiUrl: api.stageUrl,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options,
  });
}

describe('submit', () => {
  it('POSTs the body to /queries signed with SigV4 for execute-api and returns the answer', async () => {
    // WHEN
    const submitted = await client().submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK });
    // THEN
    expect(submitted).toEqual({ executionArn: expect.stringContaining(`:execution:contract-queries:${submitted.queryId}`), startDate: 1_700_000_000.123, queryId: expect.any(String) });
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: '/live/queries', accessKeyId: CREDENTIALS.accessKeyId });
    expect(JSON.parse(api.requests[0].body)).toEqual({ Query: 'SELECT 1', CallbackUrl: CALLBACK });
    expect(api.requests[0].headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIACLIENTTEST000001\/\d{8}\/us-east-1\/execute-api\/aws4_request/);
  });

  it('sends ExecutionParameters and ResultReuseMaxAgeMinutes as given', async () => {
    // WHEN
    await client().submit({ Query: 'SELECT * FROM t WHERE d = ? AND n > ?', CallbackUrl: CALLBACK, ExecutionParameters: ["'2024-01-01'", '42'], ResultReuseMaxAgeMinutes: 60 });
    // THEN
    expect(JSON.parse(api.requests[0].body)).toEqual({ Query: 'SELECT * FROM t WHERE d = ? AND n > ?', CallbackUrl: CALLBACK, ExecutionParameters: ["'2024-01-01'", '42'], ResultReuseMaxAgeMinutes: 60 });
  });

  it('sends the idempotency key as a signed Idempotency-Key header, and a retry with the same key returns the same query', async () => {
    // GIVEN
    const c = client();
    // WHEN
    const first = await c.submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK }, { idempotencyKey: 'nightly-2024-01-01' });
    const again = await c.submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK }, { idempotencyKey: 'nightly-2024-01-01' });
    // THEN
    expect(first.queryId).toBe('nightly-2024-01-01');
    expect(again).toEqual(first);
    expect(api.requests[0].headers['idempotency-key']).toBe('nightly-2024-01-01');
    expect(api.requests[0].signedHeaders).toContain('idempotency-key');
  });

  it('throws ApiError 409 with the API message when the key was used with another body', async () => {
    // GIVEN
    const c = client();
    await c.submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK }, { idempotencyKey: 'k1' });
    // WHEN
    const error = await c.submit({ Query: 'SELECT 2', CallbackUrl: CALLBACK }, { idempotencyKey: 'k1' }).catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ApiError', status: 409, apiMessage: 'Idempotency-Key k1 was used with a different body', requestId: expect.any(String) });
    expect((error as Error).message).toMatch(/^POST \/live\/queries answered 409: Idempotency-Key k1 was used with a different body \(request id [0-9a-f-]+\)$/);
  });

  it('throws ApiError 400 naming the field the API refused, without retrying', async () => {
    // WHEN
    const error = await client().submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK, ResultReuseMaxAgeMinutes: 20000 }).catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ApiError', status: 400, apiMessage: 'Invalid request body: ResultReuseMaxAgeMinutes must be an integer of 0..10080, got 20000' });
    expect(api.requests).toHaveLength(1);
  });

  it('adds the request model\'s validation errors, which API Gateway answers apart from the message', async () => {
    // WHEN a body without CallbackUrl (as a caller without types could send)
    const error = await client()
      .submit({ Query: 'SELECT 1' } as unknown as SubmitQueryRequest)
      .catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ApiError', status: 400, apiMessage: 'Invalid request body: [object has missing required properties (["CallbackUrl"])]', body: { errors: expect.any(String) } });
  });

  it('does not retry a 503 without an idempotency key: the query may have started', async () => {
    // GIVEN
    api.inject({ method: 'POST', path: /^\/queries$/, status: 503, body: '{"message":"Service Unavailable"}' });
    // WHEN
    const error = await client().submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK }).catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ApiError', status: 503 });
    expect(api.requests).toHaveLength(1);
  });

  it('retries a 503 with an idempotency key, where a retry cannot start a second query', async () => {
    // GIVEN
    api.inject({ method: 'POST', path: /^\/queries$/, status: 503, body: '{"message":"Service Unavailable"}' });
    // WHEN
    const submitted = await client().submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK }, { idempotencyKey: 'retry-me' });
    // THEN
    expect(submitted.queryId).toBe('retry-me');
    expect(api.requests).toHaveLength(2);
    expect(sleeps).toEqual([50]);
  });

  it('retries a 429 for every route, waiting what Retry-After asks', async () => {
    // GIVEN
    api.inject({ method: 'POST', path: /^\/queries$/, status: 429, body: '{"message":"Too Many Requests"}', headers: { 'retry-after': '2' } });
    // WHEN
    await client().submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK });
    // THEN
    expect(api.requests).toHaveLength(2);
    expect(sleeps).toEqual([2000]);
  });

  it('gives up after maxAttempts throttled answers with the last ApiError', async () => {
    // GIVEN
    api.inject({ method: 'POST', path: /^\/queries$/, status: 429, times: 3, body: '{"message":"Too Many Requests"}' });
    // WHEN
    const error = await client().submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK }).catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ApiError', status: 429, apiMessage: 'Too Many Requests' });
    expect(api.requests).toHaveLength(3);
    // Full jitter at 0.5 of a ceiling of 100 ms, then 200 ms.
    expect(sleeps).toEqual([50, 100]);
  });
});

describe('signing', () => {
  it('is refused by the API when the secret is wrong, with API Gateway\'s message', async () => {
    // WHEN
    const error = await client({ credentials: { accessKeyId: CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' } })
      .status('q-1')
      .catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ApiError', status: 403, errorType: 'InvalidSignatureException', apiMessage: expect.stringMatching(/^The request signature we calculated does not match/) });
  });

  it('is refused when signed for another region than the API checks', async () => {
    // WHEN
    const error = await client({ region: 'eu-west-1' }).status('q-1').catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ApiError', status: 403, apiMessage: 'Credential should be scoped to a valid region.' });
  });

  it('signs with session credentials from a provider, sending the session token', async () => {
    // GIVEN
    await api.close();
    const session = { ...CREDENTIALS, sessionToken: 'FwoGZXIvYXdzEXAMPLESESSIONTOKEN' };
    api = await startContractApi({ credentials: [session] });
    let calls = 0;
    // WHEN
    await client({
      credentials: async () => {
        calls += 1;
        return session;
      },
    }).submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK });
    // THEN
    expect(calls).toBe(1);
    expect(api.requests[0].headers['x-amz-security-token']).toBe(session.sessionToken);
    expect(api.requests[0].accessKeyId).toBe(CREDENTIALS.accessKeyId);
  });

  it('throws CredentialsError when the provider fails, and sends nothing', async () => {
    // WHEN
    const error = await client({
      credentials: async () => {
        throw new Error('Could not load credentials from any providers');
      },
    })
      .status('q-1')
      .catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'CredentialsError', message: 'Could not load AWS credentials to sign the request: Could not load credentials from any providers' });
    expect(api.requests).toEqual([]);
  });

  it('says a 403 Missing Authentication Token may be a route that does not exist', async () => {
    // GIVEN an API URL one segment too deep
    const c = client({ apiUrl: `${api.stageUrl}/extra/queries` });
    // WHEN
    const error = await c.status('q-1').catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ApiError', status: 403, errorType: 'MissingAuthenticationTokenException' });
    expect((error as Error).message).toContain('a route that does not exist');
  });
});

describe('status', () => {
  it('GETs /queries/{id} and returns the status', async () => {
    // GIVEN
    const c = client();
    const { queryId } = await c.submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK });
    // WHEN
    const status = await c.status(queryId);
    // THEN
    expect(status).toEqual({ queryId, executionArn: expect.any(String), status: 'RUNNING', startDate: '2023-11-14T22:13:20.123Z', queryExecutionId: `qe-${queryId}`, statistics: { DataScannedInBytes: 1536, EngineExecutionTimeInMillis: 1830 }, callback: { status: 'pending' } });
    expect(api.requests[1]).toMatchObject({ method: 'GET', path: `/live/queries/${queryId}`, accessKeyId: CREDENTIALS.accessKeyId });
  });

  it('throws ApiError 404 for an unknown id', async () => {
    // WHEN
    const error = await client().status('no-such-query').catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ApiError', status: 404, apiMessage: 'No query no-such-query' });
  });

  it('percent-encodes the id so it cannot reach another route', async () => {
    // WHEN
    const error = await client().status('a/b?c').catch((e: unknown) => e);
    // THEN the server saw one path segment, and refused it as malformed
    expect(api.requests[0].path).toBe('/live/queries/a%2Fb%3Fc');
    expect(error).toMatchObject({ name: 'ApiError', status: 400 });
  });

  it('throws UnexpectedResponseError for a 200 that is not the contract\'s', async () => {
    // GIVEN
    api.inject({ method: 'GET', path: /^\/queries\/q-1$/, status: 200, body: '{"executionArn":"arn:aws:states:x"}' });
    // WHEN
    const error = await client().status('q-1').catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'UnexpectedResponseError' });
    expect((error as Error).message).toBe('GET /live/queries/q-1 answered 200 with an unexpected body: missing or mistyped queryId (string, got undefined), status (string, got undefined), startDate (string, got undefined), callback (object, got undefined)');
  });
});

describe('wait', () => {
  it('polls until SUCCEEDED with capped exponential backoff and full jitter, reporting each status', async () => {
    // GIVEN a query that is QUEUED for 3 reads, RUNNING for 4, then SUCCEEDED
    await api.close();
    api = await startContractApi({ credentials: [CREDENTIALS], lifecycle: () => ['QUEUED', 'QUEUED', 'QUEUED', 'QUEUED', 'RUNNING', 'RUNNING', 'RUNNING', 'RUNNING', 'SUCCEEDED'] });
    const c = client({ random: () => 0.75 });
    const { queryId } = await c.submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK });
    const seen: string[] = [];
    // WHEN
    const final = await c.wait(queryId, { onProgress: (s, p) => seen.push(`${p.polls}:${s.status}`), backoff: { initialDelayMs: 1000, maxDelayMs: 3000 } });
    // THEN the schedule starts over when the state changes: 0.75 x ceilings 1000, 2000, 3000 | 1000, 2000, 3000, 3000
    expect(final.status).toBe('SUCCEEDED');
    expect(seen).toEqual(['1:QUEUED', '2:QUEUED', '3:QUEUED', '4:RUNNING', '5:RUNNING', '6:RUNNING', '7:RUNNING', '8:SUCCEEDED']);
    expect(sleeps).toEqual([750, 1500, 2250, 750, 1500, 2250, 2250]);
  });

  it('returns a FAILED query\'s status with its reason instead of throwing', async () => {
    // GIVEN
    await api.close();
    api = await startContractApi({ credentials: [CREDENTIALS], lifecycle: () => ['QUEUED', 'FAILED'] });
    const c = client();
    const { queryId } = await c.submit({ Query: 'SELECT colx', CallbackUrl: CALLBACK });
    // WHEN
    const final = await c.wait(queryId);
    // THEN
    expect(final).toMatchObject({ status: 'FAILED', stateChangeReason: "line 1:8: Column 'colx' cannot be resolved" });
  });

  it('throws WaitTimeoutError with the last status once the timeout has passed on the injected clock', async () => {
    // GIVEN a query that runs for ever, and a clock that moves by each sleep
    await api.close();
    api = await startContractApi({ credentials: [CREDENTIALS], lifecycle: () => ['RUNNING'] });
    let now = 0;
    const c = client({
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
      random: () => 0.999,
    });
    const { queryId } = await c.submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK });
    // WHEN
    const error = await c.wait(queryId, { timeoutMs: 10_000 }).catch((e: unknown) => e);
    // THEN the last pause is cut to the time left
    expect(error).toMatchObject({ name: 'WaitTimeoutError', queryId, timeoutMs: 10_000, lastStatus: { status: 'RUNNING' } });
    expect((error as Error).message).toBe(`Query ${queryId} was still RUNNING after 10 s of waiting`);
    expect(sleeps).toEqual([999, 1998, 3996, 3007]);
    expect(now).toBe(10_000);
  });

  it('rides out transient failures of a poll (a 503 after the request\'s own retries, then a 429)', async () => {
    // GIVEN
    await api.close();
    api = await startContractApi({ credentials: [CREDENTIALS], lifecycle: () => ['QUEUED', 'RUNNING', 'SUCCEEDED'] });
    const c = client({ maxAttempts: 1 });
    const { queryId } = await c.submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK });
    api.inject({ method: 'GET', path: /^\/queries\/[^/]+$/, status: 503, body: '{"message":"Service Unavailable"}' });
    api.inject({ method: 'GET', path: /^\/queries\/[^/]+$/, status: 429, body: '{"message":"Too Many Requests"}' });
    // WHEN
    const final = await c.wait(queryId);
    // THEN
    expect(final.status).toBe('SUCCEEDED');
    expect(api.requests.filter((r) => r.method === 'GET')).toHaveLength(4);
  });

  it('gives up after maxConsecutiveFailures transient failures in a row', async () => {
    // GIVEN
    api.inject({ method: 'GET', path: /^\/queries\/q-1$/, status: 502, times: 10, body: '{"message":"Bad Gateway"}' });
    // WHEN
    const error = await client({ maxAttempts: 1 }).wait('q-1', { maxConsecutiveFailures: 2 }).catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ApiError', status: 502 });
    expect(api.requests).toHaveLength(3);
  });

  it('stops at once for an unknown id', async () => {
    // WHEN
    const error = await client().wait('unknown-id').catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ApiError', status: 404 });
    expect(sleeps).toEqual([]);
  });

  it('stops when its signal aborts', async () => {
    // GIVEN
    await api.close();
    api = await startContractApi({ credentials: [CREDENTIALS], lifecycle: () => ['RUNNING'] });
    const controller = new AbortController();
    const c = client({
      sleep: async () => {
        controller.abort(new Error('caller gave up'));
      },
    });
    const { queryId } = await c.submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK });
    // WHEN
    const error = await c.wait(queryId, { signal: controller.signal }).catch((e: unknown) => e);
    // THEN
    expect(error).toEqual(new Error('caller gave up'));
  });
});

describe('cancel', () => {
  it('answers CANCELLING for a running query, which then reads CANCELLED', async () => {
    // GIVEN
    const c = client();
    const { queryId } = await c.submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK });
    await c.status(queryId); // RUNNING
    // WHEN
    const cancelled = await c.cancel(queryId);
    // THEN
    expect(cancelled).toEqual({ queryId, status: 'CANCELLING' });
    expect(api.requests.at(-1)).toMatchObject({ method: 'DELETE', path: `/live/queries/${queryId}`, accessKeyId: CREDENTIALS.accessKeyId });
    expect((await c.status(queryId)).status).toBe('CANCELLED');
  });

  it('answers CANCELLED for a query that had not started', async () => {
    // GIVEN
    const c = client();
    const { queryId } = await c.submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK });
    // WHEN
    const cancelled = await c.cancel(queryId);
    // THEN
    expect(cancelled).toEqual({ queryId, status: 'CANCELLED' });
  });

  it('throws ApiError 409 naming the final state of a finished query', async () => {
    // GIVEN
    const c = client();
    const { queryId } = await c.submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK });
    await c.wait(queryId);
    // WHEN
    const error = await c.cancel(queryId).catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ApiError', status: 409, apiMessage: `Query ${queryId} has already finished: SUCCEEDED`, body: { status: 'SUCCEEDED' } });
  });

  it('does not retry a 503: a second DELETE could answer differently', async () => {
    // GIVEN
    api.inject({ method: 'DELETE', path: /^\/queries\/q-1$/, status: 503, body: '{"message":"Service Unavailable"}' });
    // WHEN
    const error = await client().cancel('q-1').catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ApiError', status: 503 });
    expect(api.requests).toHaveLength(1);
  });
});

describe('result', () => {
  async function succeeded(c: AsyncAthenaQueryClient): Promise<string> {
    const { queryId } = await c.submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK });
    await c.wait(queryId);
    return queryId;
  }

  it('gets a fresh link and downloads the CSV without signing the S3 request', async () => {
    // GIVEN
    const c = client();
    const queryId = await succeeded(c);
    // WHEN
    const csv = await c.result(queryId);
    // THEN
    expect(csv).toBe(`"query","n"\n"${queryId}","1"\n"${queryId}","2"\n`);
    const download = api.requests.at(-1);
    expect(download).toMatchObject({ method: 'GET', path: `/results/${queryId}.csv` });
    expect(download?.headers.authorization).toBeUndefined();
    expect(api.requests.at(-2)).toMatchObject({ method: 'GET', path: `/live/queries/${queryId}/result`, accessKeyId: CREDENTIALS.accessKeyId });
  });

  it('streams the download into a writable and counts the bytes', async () => {
    // GIVEN
    const c = client();
    const queryId = await succeeded(c);
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    });
    // WHEN
    const downloaded = await c.downloadResult(queryId, sink);
    // THEN
    expect(downloaded).toEqual({ link: { queryId, presignedUrl: expect.stringContaining('X-Amz-Signature='), expiredIn: 3600 }, bytes: Buffer.concat(chunks).length });
    expect(sink.writableFinished).toBe(true);
  });

  it('throws ApiError 409 for a query that is not SUCCEEDED', async () => {
    // GIVEN
    const c = client();
    const { queryId } = await c.submit({ Query: 'SELECT 1', CallbackUrl: CALLBACK });
    // WHEN
    const error = await c.result(queryId).catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ApiError', status: 409, apiMessage: `Query ${queryId} is QUEUED, not SUCCEEDED: it has no result` });
  });

  it('throws ResultDownloadError with S3\'s code and message when the link is refused, never showing its signature', async () => {
    // GIVEN a link whose signature S3 refuses
    const c = client();
    const queryId = await succeeded(c);
    api.inject({ method: 'GET', path: /\/result$/, status: 200, body: JSON.stringify({ queryId, presignedUrl: `${api.stageUrl.replace('/live', '')}/results/${queryId}.csv?X-Amz-Signature=forged0123&X-Amz-Security-Token=secret-token`, expiredIn: 3600 }) });
    // WHEN
    const error = await c.result(queryId).catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ResultDownloadError', status: 403, network: false });
    expect((error as Error).message).toBe(`Downloading the result from ${api.stageUrl.replace('/live', '')}/results/${queryId}.csv failed with 403: AccessDenied: Request has expired`);
    expect((error as Error).message).not.toMatch(/forged0123|secret-token/);
  });

  it('refuses a link that is not https (or http on a loopback host)', async () => {
    // GIVEN
    api.inject({ method: 'GET', path: /\/result$/, status: 200, body: JSON.stringify({ queryId: 'q-1', presignedUrl: 'http://results.example.com/x.csv?X-Amz-Signature=abc', expiredIn: 60 }) });
    // WHEN
    const error = await client().result('q-1').catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ResultDownloadError', message: 'Downloading the result from http://results.example.com/x.csv failed: refusing to download over anything but https' });
  });
});

describe('network', () => {
  it('throws ApiNetworkError after retrying a read that gets no answer', async () => {
    // GIVEN a stopped API
    const c = client();
    await api.close();
    // WHEN
    const error = await c.status('q-1').catch((e: unknown) => e);
    // THEN
    expect(error).toMatchObject({ name: 'ApiNetworkError', message: expect.stringMatching(/^GET \/live\/queries\/q-1 got no answer: ECONNREFUSED/) });
    expect(sleeps).toEqual([50, 100]);
  });
});
