/**
 * One signed AWS API call over node:http(s), with the SDK's standard retry behaviour scaled to a callback: a few
 * attempts with jittered exponential backoff on throttling, 5xx, timeouts and connection errors, and a timeout on
 * every attempt so a stalled endpoint cannot eat the function's whole time budget (Step Functions retries the
 * named error the caller turns this into).
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
import type { IncomingHttpHeaders } from 'node:http';
import * as http from 'node:http';
import * as https from 'node:https';
import type { Endpoint } from './endpoints';
import { type SigningKeys, type SigningScope, signHeaders } from './sigv4';

/** Attempts per call, as in the SDK's `standard` retry mode. */
export const MAX_ATTEMPTS = 3;

/** Backoff before attempt n+1 is uniformly random in [0, min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2^(n-1))]. */
export const BASE_BACKOFF_MS = 100;
export const MAX_BACKOFF_MS = 2000;

/** Each attempt, connection to last byte. STS and Secrets Manager answer in well under a second. */
export const ATTEMPT_TIMEOUT_MS = 5000;

/** Answers are small (a secret is at most 64 KiB); anything longer is cut off. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Error codes the SDK treats as throttling, hence retryable whatever the status code. */
const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
]);

/** An answer as received. */
export interface AwsResponse {
  readonly statusCode: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** An error answer from the service. `name` is the service's error code, e.g. `ValidationError`. */
export class AwsServiceError extends Error {
  constructor(
    code: string,
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
    this.name = code;
  }
}

/** An attempt ran past ATTEMPT_TIMEOUT_MS. The name is the SDK's. */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TimeoutError';
  }
}

/** A POST to an AWS JSON or Query API. */
export interface AwsCall {
  readonly endpoint: Endpoint;
  readonly scope: SigningScope;
  readonly credentials: SigningKeys;
  /** Content-Type and protocol headers (X-Amz-Target); Host, date and signature are added. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Reads the error code and message from a non-2xx answer, per protocol. */
  readonly parseError: (response: AwsResponse) => AwsServiceError;
}

/** Replaceable collaborators, for tests. */
export interface CallDependencies {
  readonly sleep?: (millis: number) => Promise<void>;
  readonly random?: () => number;
  /** @default ATTEMPT_TIMEOUT_MS */
  readonly attemptTimeoutMs?: number;
}

function isRetryable(error: unknown): boolean {
  if (error instanceof AwsServiceError) {
    return THROTTLING_CODES.has(error.name) || error.statusCode === 429 || (error.statusCode >= 500 && error.statusCode <= 599);
  }
  // Timeouts and connection errors (ECONNRESET on a socket the frozen sandbox let go stale, ECONNREFUSED, DNS).
  return error instanceof Error;
}

function sendOnce(call: AwsCall, timeoutMs: number): Promise<AwsResponse> {
  const { endpoint } = call;
  const body = Buffer.from(call.body, 'utf8');
  const headers = signHeaders(
    { method: 'POST', host: endpoint.host, path: `${endpoint.basePath}/`, headers: call.headers, body: call.body },
    call.credentials,
    call.scope,
    new Date(),
  );
  const request = endpoint.protocol === 'https:' ? https.request : http.request;
  return new Promise<AwsResponse>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const settle = (outcome: () => void): void => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      outcome();
    };
    const req = request({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname.replace(/^\[|\]$/g, ''),
      port: endpoint.port,
      path: `${endpoint.basePath}/`,
      headers: { ...headers, 'content-length': String(body.length) },
    });
    const fail = (error: Error): void => {
      // Once settled the socket may already be back in the keep-alive pool: leave it alone.
      if (timer === undefined) return;
      settle(() => reject(error));
      req.destroy();
    };
    timer = setTimeout(() => fail(new TimeoutError(`No answer from ${endpoint.host} within ${timeoutMs} ms`)), timeoutMs);
    req.on('error', fail);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let length = 0;
      res.on('data', (chunk: Buffer) => {
        if (length < MAX_RESPONSE_BYTES) chunks.push(chunk);
        length += chunk.length;
      });
      res.on('error', fail);
      res.on('end', () => settle(() => resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') })));
      // A connection that dies mid-answer ends with 'close' but no 'end'.
      res.on('close', () => fail(new Error(`The connection to ${endpoint.host} closed before the answer was complete`)));
    });
    req.end(body);
  });
}

/**
 * Signs and sends the call, signing again for each attempt, and returns the 2xx answer.
 *
 * @throws AwsServiceError for an error answer (after retries when it is throttling or 5xx)
 * @throws TimeoutError or the connection error after the last attempt
 */
export async function callAws(call: AwsCall, deps: CallDependencies = {}): Promise<AwsResponse> {
  const sleep = deps.sleep ?? ((millis: number) => new Promise<void>((done) => setTimeout(done, millis)));
  const random = deps.random ?? Math.random;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const response = await sendOnce(call, deps.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS);
      if (response.statusCode >= 200 && response.statusCode < 300) return response;
      throw call.parseError(response);
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !isRetryable(error)) throw error;
      await sleep(random() * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (attempt - 1)));
    }
  }
}
