/**
 * A client of the query API that signs its requests with SigV4, as a real caller of an AWS_IAM method does.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
 */
import type { TwinClock } from '../clock/twin-clock';
import { signRequest, type StaticCredentials } from '../iam/sigv4-verifier';

/** The API's answer. */
export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly text: string;
  /** The body parsed as JSON, or undefined. */
  readonly json: unknown;
}

/** Where and as whom to call. */
export interface ApiClientOptions {
  /** The stage URL, e.g. `http://127.0.0.1:4000/live`. */
  readonly stageUrl: string;
  readonly credentials: StaticCredentials;
  readonly region: string;
  /**
   * The twin's clock, when the caller is part of a twin run: requests are signed at twin time, each request is work
   * in flight on the clock until its answer is read, and 429 backoff waits are twin time.
   *
   * @default the wall clock and Node's timers
   */
  readonly clock?: TwinClock;
}

/** Options of one call. */
export interface PostOptions {
  /** @default '/queries' */
  readonly route?: string;
  /** The HTTP method. @default 'POST' */
  readonly method?: string;
  /** More headers to send and sign (e.g. `Idempotency-Key`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** @default 'application/json' */
  readonly contentType?: string;
  /** Changes the signed headers before sending (to test tampering). */
  readonly tamper?: (headers: Record<string, string>) => Record<string, string>;
  /** @default now, on the client's clock */
  readonly signingDate?: Date;
  /** Retries a 429 answer up to this many times, with a short randomized backoff, like the AWS SDKs do. @default 0 */
  readonly retriesOn429?: number;
  /** Uniform numbers in [0, 1) for the 429 backoff's jitter. @default Math.random */
  readonly random?: () => number;
}

async function send(options: ApiClientOptions, body: string | undefined, post: PostOptions): Promise<ApiResponse> {
  const url = new URL(`${options.stageUrl}${post.route ?? '/queries'}`);
  const method = post.method ?? 'POST';
  const contentHeaders: Record<string, string> = body === undefined ? {} : { 'content-type': post.contentType ?? 'application/json' };
  const signed = await signRequest(
    { method, url, headers: { ...contentHeaders, ...Object.fromEntries(Object.entries(post.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])) }, body: body ?? '' },
    options.credentials,
    { region: options.region, service: 'execute-api' },
    post.signingDate ?? (options.clock === undefined ? undefined : new Date(options.clock.now())),
  );
  const headers = post.tamper === undefined ? signed : post.tamper({ ...signed });
  // fetch sets Host from the URL itself, which is what was signed.
  const { host: _host, ...sendable } = headers;
  const response = await fetch(url, { method, headers: sendable, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: Object.fromEntries(response.headers), text, json };
}

/** POSTs a body (an object is sent as JSON) to a route of the API, signed. */
export async function postSigned(options: ApiClientOptions, body: unknown, post: PostOptions = {}): Promise<ApiResponse> {
  return requestSigned(options, typeof body === 'string' ? body : JSON.stringify(body), post);
}

/** Sends a signed request to a route of the API: a body (text) for POST, none for GET and DELETE. */
export async function requestSigned(options: ApiClientOptions, body: string | undefined, post: PostOptions = {}): Promise<ApiResponse> {
  const text = body;
  const clock = options.clock;
  for (let attempt = 0; ; attempt++) {
    const response =
      clock === undefined ? await send(options, text, post) : await clock.track(`API client: ${post.method ?? 'POST'} ${post.route ?? '/queries'}`, () => send(options, text, post));
    if (response.status !== 429 || attempt >= (post.retriesOn429 ?? 0)) return response;
    const backoffMs = (post.random ?? Math.random)() * 20 * 2 ** Math.min(attempt, 5);
    await (clock === undefined ? new Promise((resolve) => setTimeout(resolve, backoffMs)) : clock.sleep(backoffMs));
  }
}
