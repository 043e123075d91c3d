/**
 * A typed client of the query API: submit a query, read its status, wait for it, cancel it, download its result.
 * Every request is signed with AWS Signature Version 4 for `execute-api` (the API's methods use `AWS_IAM`), with the
 * AWS SDK's signer and, unless given credentials, the SDK's standard Node.js credential chain (environment, shared
 * config and credentials files with profiles, SSO, credential_process, web identity, ECS and EC2 metadata).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import { SignatureV4 } from '@smithy/signature-v4';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseApiUrl, resolveRegion, routeUrl } from './api-url';
import { type BackoffOptions, DEFAULT_POLL_BACKOFF, DEFAULT_RETRY_BACKOFF, fullJitterDelayMs, PollSchedule, validateBackoff } from './backoff';
import { ApiError, ApiNetworkError, CredentialsError, InvalidClientOptionsError, ResultDownloadError, UnexpectedResponseError, WaitTimeoutError } from './errors';
import { checkCancelledQuery, checkQueryStatus, checkResultLink, checkSubmittedQuery } from './responses';
import { isFinalQueryState, type ApiErrorBody, type CancelledQuery, type QueryStatus, type ResultLink, type SubmitQueryRequest, type SubmittedQuery } from './types';
import { downloadLocation, parseS3Error } from './download';

/** AWS credentials, as the AWS SDK's providers return them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** A function that returns credentials, such as the AWS SDK's `fromNodeProviderChain()` or `fromIni()`. */
export type AwsCredentialsProvider = () => Promise<AwsCredentials>;

/** Options of {@link AsyncAthenaQueryClient}. */
export interface AsyncAthenaQueryClientOptions {
  /**
   * The API's stage URL (`https://<api-id>.execute-api.<region>.amazonaws.com/<stage>`), or the module's
   * `api_invoke_url` output (the stage URL plus `/queries`). https only; plain http only on a loopback host.
   */
  readonly apiUrl: string;
  /**
   * The region to sign for.
   *
   * @default the region in an execute-api host name, else AWS_REGION, else AWS_DEFAULT_REGION
   */
  readonly region?: string;
  /**
   * Credentials, or a provider of them.
   *
   * @default the AWS SDK's `fromNodeProviderChain({ profile })`
   */
  readonly credentials?: AwsCredentials | AwsCredentialsProvider;
  /**
   * The shared-config profile the default credential chain reads (ignored with `credentials`).
   *
   * @default AWS_PROFILE, else `default`
   */
  readonly profile?: string;
  /** Milliseconds a request may take until its answer's headers arrive. @default 30000 */
  readonly requestTimeoutMs?: number;
  /**
   * Attempts per request, the first included. A 429 (throttled: nothing happened) is retried for every route; a 5xx
   * or a network error only for reads and for a submit with an idempotency key, where a retry cannot start a second
   * query.
   *
   * @default 3 (the AWS SDKs' standard retry mode)
   */
  readonly maxAttempts?: number;
  /** Waits between attempts of one request (full jitter; a Retry-After header wins, up to 60 s). @default DEFAULT_RETRY_BACKOFF */
  readonly retryBackoff?: BackoffOptions;
  /** Epoch milliseconds now, for `wait`'s timeout. @default Date.now */
  readonly now?: () => number;
  /** Waits `ms` milliseconds, or less when the signal aborts (then it rejects or resolves; `wait` checks the signal). @default a Node timer */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Uniform numbers in [0, 1) for the jitter. @default Math.random */
  readonly random?: () => number;
  /** Where AWS_REGION and AWS_DEFAULT_REGION are read. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The User-Agent header. @default 'async-athena-query-client' */
  readonly userAgent?: string;
}

/** Options of one call. */
export interface CallOptions {
  /** Aborts the call. */
  readonly signal?: AbortSignal;
}

/** Options of {@link AsyncAthenaQueryClient.submit}. */
export interface SubmitOptions extends CallOptions {
  /**
   * Sent as the `Idempotency-Key` header (1..80 characters of `A-Za-z0-9_-`) and used as the query id: the same key
   * with the same body returns the same query and starts nothing; with another body the API answers 409.
   *
   * @default - none: every submit starts a new query
   */
  readonly idempotencyKey?: string;
}

/** Progress of a {@link AsyncAthenaQueryClient.wait}. */
export interface WaitProgress {
  /** Polls answered so far. */
  readonly polls: number;
  /** Milliseconds since `wait` began. */
  readonly elapsedMs: number;
}

/** Options of {@link AsyncAthenaQueryClient.wait}. */
export interface WaitOptions extends CallOptions {
  /** Gives up with {@link WaitTimeoutError} after this many milliseconds. @default - no limit */
  readonly timeoutMs?: number;
  /**
   * Waits between polls. The schedule starts over whenever the query's state changes, so a query that has just
   * started RUNNING is looked at again soon.
   *
   * @default DEFAULT_POLL_BACKOFF (ceiling 1 s, doubling, at most 20 s)
   */
  readonly backoff?: BackoffOptions;
  /** Polls in a row that may fail with a throttle, a 5xx or a network error before `wait` gives up. @default 5 */
  readonly maxConsecutiveFailures?: number;
  /** Called with every status read, the final one included. */
  readonly onProgress?: (status: QueryStatus, progress: WaitProgress) => void;
}

/** Options of {@link AsyncAthenaQueryClient.downloadResult}. */
export interface DownloadOptions extends CallOptions {
  /** End the destination stream when the download completes (false for process.stdout). @default true */
  readonly end?: boolean;
}

/** What {@link AsyncAthenaQueryClient.downloadResult} wrote. */
export interface DownloadedResult {
  /** The fresh link the CSV was downloaded from. */
  readonly link: ResultLink;
  /** Bytes written. */
  readonly bytes: number;
}

/** The client's name in the User-Agent header. */
export const CLIENT_USER_AGENT = 'async-athena-query-client';

/** Longest wait a Retry-After header may ask for before the client retries anyway. */
const MAX_RETRY_AFTER_MS = 60_000;

/** Statuses a retry may cure: throttled, or a server-side failure. https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html */
const TRANSIENT_STATUSES = new Set([500, 502, 503, 504]);

interface ApiRequest {
  readonly method: 'GET' | 'POST' | 'DELETE';
  readonly segments: readonly string[];
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** A repeat cannot do anything twice: 5xx and network errors may be retried. */
  readonly idempotent: boolean;
  readonly signal?: AbortSignal;
}

interface ApiAnswer {
  readonly status: number;
  readonly json: unknown;
  readonly path: string;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retry-After in milliseconds (delta-seconds form only), or undefined. https://www.rfc-editor.org/rfc/rfc9110#field.retry-after */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  return Math.min(Number(header.trim()) * 1000, MAX_RETRY_AFTER_MS);
}

/** A short, single-line excerpt of a body that had no `message`. */
function excerpt(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  if (line === '') return '(empty body)';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}

/** Why fetch failed, from its cause (undici puts the system error there). Duck-typed: fetch's errors come from Node's own realm. */
function networkReason(error: unknown): string {
  const e = (typeof error === 'object' && error !== null ? error : {}) as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return e.message ?? e.name;
  const cause = typeof e.cause === 'object' && e.cause !== null ? e.cause : undefined;
  if (cause?.code !== undefined) return `${cause.code}${cause.message === undefined ? '' : ` (${cause.message})`}`;
  if (cause?.message !== undefined) return cause.message;
  return e.message ?? String(error);
}

/**
 * The API's message with the request model's validation errors, which API Gateway gives apart from it
 * (`{"message": "Invalid request body", "errors": "[object has missing required properties ([\"CallbackUrl\"])]"}`).
 */
function withValidationErrors(message: string, errors: unknown): string {
  const listed = typeof errors === 'string' ? errors : Array.isArray(errors) ? errors.filter((e) => typeof e === 'string').join('; ') : '';
  return listed === '' || message.includes(listed) ? message : `${message}: ${listed}`;
}

/** Credentials from a value or a provider, checked, with failures as {@link CredentialsError}. */
async function loadCredentials(source: AwsCredentials | AwsCredentialsProvider): Promise<AwsCredentials> {
  let credentials: AwsCredentials;
  try {
    credentials = typeof source === 'function' ? await source() : source;
  } catch (error) {
    const message = (error as { message?: unknown } | undefined)?.message;
    throw new CredentialsError(typeof message === 'string' ? message : String(error), { cause: error });
  }
  if (typeof credentials?.accessKeyId !== 'string' || credentials.accessKeyId === '' || typeof credentials.secretAccessKey !== 'string' || credentials.secretAccessKey === '') {
    throw new CredentialsError('the credentials have no access key id or secret access key');
  }
  return credentials;
}

/**
 * The query API's client. One instance per API; it is safe to share between concurrent calls.
 *
 * ```ts
 * const client = new AsyncAthenaQueryClient({ apiUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/live' });
 * const { queryId } = await client.submit({ Query: 'SELECT 1', CallbackUrl: 'https://hooks.example.com/athena' });
 * const status = await client.wait(queryId);
 * if (status.status === 'SUCCEEDED') console.log(await client.result(queryId));
 * ```
 */
export class AsyncAthenaQueryClient {
  /** The stage URL requests go to, without a trailing slash. */
  readonly stageUrl: string;
  /** The region requests are signed for. */
  readonly region: string;
  private readonly stage: URL;
  private readonly credentials: AwsCredentials | AwsCredentialsProvider;
  private readonly requestTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly retryBackoff: BackoffOptions;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly userAgent: string;

  /** @throws InvalidClientOptionsError for an unusable API URL, region, timeout or attempt count. */
  constructor(options: AsyncAthenaQueryClientOptions) {
    const address = parseApiUrl(options.apiUrl);
    this.stage = address.stageUrl;
    this.stageUrl = address.stageUrl.href.replace(/\/$/, '');
    this.region = resolveRegion({ explicit: options.region, hostRegion: address.hostRegion, env: options.env ?? process.env });
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    if (!Number.isFinite(this.requestTimeoutMs) || this.requestTimeoutMs <= 0) throw new InvalidClientOptionsError(`requestTimeoutMs must be a positive number of milliseconds, got ${options.requestTimeoutMs}`);
    this.maxAttempts = options.maxAttempts ?? 3;
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1) throw new InvalidClientOptionsError(`maxAttempts must be an integer of at least 1, got ${options.maxAttempts}`);
    this.retryBackoff = options.retryBackoff ?? DEFAULT_RETRY_BACKOFF;
    validateBackoff(this.retryBackoff, 'retryBackoff');
    this.credentials = options.credentials ?? fromNodeProviderChain({ ...(options.profile !== undefined && { profile: options.profile }), clientConfig: { region: this.region } });
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.userAgent = options.userAgent ?? CLIENT_USER_AGENT;
  }

  /**
   * Starts a query: `POST /queries`. Answers at once; the query runs asynchronously and its outcome is POSTed to
   * `CallbackUrl`.
   *
   * @throws ApiError 400 for a body or key the API refuses (the message names the field and rule), 409 for an
   * idempotency key reused with another body, 413 for a body over Step Functions' 256 KiB input quota.
   */
  async submit(request: SubmitQueryRequest, options: SubmitOptions = {}): Promise<SubmittedQuery> {
    const key = options.idempotencyKey;
    const answer = await this.call({
      method: 'POST',
      segments: ['queries'],
      body: request,
      ...(key !== undefined && { headers: { 'idempotency-key': key } }),
      // With a key a repeat returns the same query instead of starting another.
      idempotent: key !== undefined,
      signal: options.signal,
    });
    return checkSubmittedQuery(answer.json, (problem) => new UnexpectedResponseError('POST', answer.path, answer.status, problem));
  }

  /**
   * The query's status: `GET /queries/{id}`.
   *
   * @throws ApiError 404 for an unknown id, 400 for a malformed one.
   */
  async status(queryId: string, options: CallOptions = {}): Promise<QueryStatus> {
    const answer = await this.call({ method: 'GET', segments: ['queries', queryId], idempotent: true, signal: options.signal });
    return checkQueryStatus(answer.json, (problem) => new UnexpectedResponseError('GET', answer.path, answer.status, problem));
  }

  /**
   * Polls the status until the query is SUCCEEDED, FAILED or CANCELLED, with capped exponential backoff and full
   * jitter, and returns the final status (a FAILED or CANCELLED query is a result here, not an error).
   *
   * @throws WaitTimeoutError after `timeoutMs`; ApiError for an unknown id or a failure that is not transient;
   * the signal's reason when aborted.
   */
  async wait(queryId: string, options: WaitOptions = {}): Promise<QueryStatus> {
    const schedule = new PollSchedule(options.backoff ?? DEFAULT_POLL_BACKOFF, this.random);
    const maxFailures = options.maxConsecutiveFailures ?? 5;
    const started = this.now();
    let polls = 0;
    let failures = 0;
    let last: QueryStatus | undefined;
    for (;;) {
      options.signal?.throwIfAborted();
      let observed: string | undefined;
      try {
        const status = await this.status(queryId, { signal: options.signal });
        failures = 0;
        polls += 1;
        last = status;
        observed = status.status;
        options.onProgress?.(status, { polls, elapsedMs: this.now() - started });
        if (isFinalQueryState(status.status)) return status;
      } catch (error) {
        options.signal?.throwIfAborted();
        if (!isTransient(error) || ++failures > maxFailures) throw error;
      }
      const elapsed = this.now() - started;
      if (options.timeoutMs !== undefined && elapsed >= options.timeoutMs) throw new WaitTimeoutError(queryId, options.timeoutMs, last);
      const delay = schedule.next(observed);
      await this.sleep(options.timeoutMs === undefined ? delay : Math.min(delay, options.timeoutMs - elapsed), options.signal);
    }
  }

  /**
   * Cancels the query: `DELETE /queries/{id}`. A running query is stopped in Athena (202 CANCELLING); one that has
   * not started is cancelled before it starts (202 CANCELLED). Either way the caller gets a CANCELLED callback.
   *
   * @throws ApiError 409 when the query has already finished (the message gives its final state), 404 for an
   * unknown id.
   */
  async cancel(queryId: string, options: CallOptions = {}): Promise<CancelledQuery> {
    const answer = await this.call({ method: 'DELETE', segments: ['queries', queryId], idempotent: false, signal: options.signal });
    return checkCancelledQuery(answer.json, (problem) => new UnexpectedResponseError('DELETE', answer.path, answer.status, problem));
  }

  /**
   * A freshly presigned link to the result CSV of a SUCCEEDED query: `GET /queries/{id}/result`.
   *
   * @throws ApiError 409 when the query is not SUCCEEDED (the message gives its state), 404 for an unknown id.
   */
  async resultLink(queryId: string, options: CallOptions = {}): Promise<ResultLink> {
    const answer = await this.call({ method: 'GET', segments: ['queries', queryId, 'result'], idempotent: true, signal: options.signal });
    return checkResultLink(answer.json, (problem) => new UnexpectedResponseError('GET', answer.path, answer.status, problem));
  }

  /**
   * Downloads the result CSV of a SUCCEEDED query into a writable stream (a file, stdout), through a fresh link.
   * The stream is ended when the download completes, unless `end` is false.
   *
   * @throws ApiError as {@link resultLink}; ResultDownloadError when S3 refuses or the transfer breaks.
   */
  async downloadResult(queryId: string, destination: Writable, options: DownloadOptions = {}): Promise<DownloadedResult> {
    const link = await this.resultLink(queryId, options);
    const location = downloadLocation(link.presignedUrl);
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(options.signal?.reason);
    options.signal?.addEventListener('abort', onAbort, { once: true });
    // The timeout covers the wait for S3's headers, not the transfer of a large CSV.
    const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${this.requestTimeoutMs / 1000} s`, 'TimeoutError')), this.requestTimeoutMs);
    try {
      let response: Response;
      try {
        response = await fetch(location.url, { signal: controller.signal, headers: { 'user-agent': this.userAgent } });
      } catch (error) {
        options.signal?.throwIfAborted();
        throw new ResultDownloadError(location.described, networkReason(controller.signal.reason ?? error), { network: true, cause: error });
      } finally {
        clearTimeout(timer);
      }
      if (!response.ok || response.body === null) {
        const text = await response.text().catch(() => '');
        throw new ResultDownloadError(location.described, parseS3Error(text) ?? excerpt(text), { status: response.status });
      }
      let bytes = 0;
      try {
        await pipeline(
          Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>),
          async function* count(source: AsyncIterable<Buffer>) {
            for await (const chunk of source) {
              bytes += chunk.length;
              yield chunk;
            }
          },
          destination,
          { end: options.end ?? true },
        );
      } catch (error) {
        options.signal?.throwIfAborted();
        throw new ResultDownloadError(location.described, `the transfer broke after ${bytes} bytes: ${networkReason(error)}`, { status: response.status, network: true, cause: error });
      }
      return { link, bytes };
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /**
   * The result CSV of a SUCCEEDED query as text, through a fresh link. For large results, prefer
   * {@link downloadResult} into a file.
   */
  async result(queryId: string, options: CallOptions = {}): Promise<string> {
    const chunks: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        callback();
      },
    });
    await this.downloadResult(queryId, sink, options);
    return Buffer.concat(chunks).toString('utf8');
  }

  /** Sends a signed request, retrying what may be retried; answers 2xx or throws. */
  private async call(request: ApiRequest): Promise<ApiAnswer> {
    const url = routeUrl(this.stage, request.segments);
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    for (let attempt = 0; ; attempt++) {
      const last = attempt + 1 >= this.maxAttempts;
      let response: Response;
      try {
        response = await this.send(request, url, body);
      } catch (error) {
        if (!(error instanceof ApiNetworkError) || !request.idempotent || last) throw error;
        await this.sleep(fullJitterDelayMs(attempt, this.retryBackoff, this.random), request.signal);
        continue;
      }
      const text = await response.text();
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      if (response.ok) {
        if (json === undefined) throw new UnexpectedResponseError(request.method, url.pathname, response.status, `not JSON: ${excerpt(text)}`);
        return { status: response.status, json, path: url.pathname };
      }
      const retryable = response.status === 429 || (request.idempotent && TRANSIENT_STATUSES.has(response.status));
      if (retryable && !last) {
        await this.sleep(retryAfterMs(response.headers.get('retry-after')) ?? fullJitterDelayMs(attempt, this.retryBackoff, this.random), request.signal);
        request.signal?.throwIfAborted();
        continue;
      }
      const errorBody = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as ApiErrorBody) : undefined;
      const errorType = response.headers.get('x-amzn-errortype') ?? undefined;
      throw new ApiError({
        method: request.method,
        path: url.pathname,
        status: response.status,
        apiMessage: typeof errorBody?.message === 'string' ? withValidationErrors(errorBody.message, errorBody.errors) : excerpt(text),
        requestId: typeof errorBody?.requestId === 'string' ? errorBody.requestId : (response.headers.get('x-amzn-requestid') ?? undefined),
        ...(errorType !== undefined && { errorType: errorType.split(':')[0] }),
        ...(errorBody !== undefined && { body: errorBody }),
      });
    }
  }

  /** One signed attempt. */
  private async send(request: ApiRequest, url: URL, body: string | undefined): Promise<Response> {
    request.signal?.throwIfAborted();
    const credentials = await loadCredentials(this.credentials);
    const signer = new SignatureV4({ credentials, region: this.region, service: 'execute-api', sha256: Sha256 });
    const headers: Record<string, string> = {
      host: url.host,
      accept: 'application/json',
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...request.headers,
    };
    const signed = await signer.sign({
      method: request.method,
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port !== '' && { port: Number(url.port) }),
      path: url.pathname,
      query: {},
      headers,
      ...(body !== undefined && { body }),
    });
    // fetch derives Host from the URL, which is what was signed; it refuses to be given one.
    const { host: _host, ...sendable } = signed.headers;
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    try {
      return await fetch(url, {
        method: request.method,
        headers: { ...sendable, 'user-agent': this.userAgent },
        ...(body !== undefined && { body }),
        signal: request.signal === undefined ? timeout : AbortSignal.any([request.signal, timeout]),
      });
    } catch (error) {
      request.signal?.throwIfAborted();
      const reason = timeout.aborted ? `no answer within ${this.requestTimeoutMs / 1000} s` : networkReason(error);
      throw new ApiNetworkError(request.method, url.pathname, reason, { cause: error });
    }
  }
}

/** A failure a later poll may not see again: throttled, a server-side error, or no answer. */
function isTransient(error: unknown): boolean {
  if (error instanceof ApiNetworkError) return true;
  return error instanceof ApiError && (error.status === 429 || TRANSIENT_STATUSES.has(error.status));
}
