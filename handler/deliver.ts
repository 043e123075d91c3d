/**
 * The webhook POST, made safe against server-side request forgery and against slow or hostile receivers.
 *
 * The URL is checked, its host resolved once and every address checked (ssrf.ts); the connection then goes to the
 * checked address through a `lookup` that returns it, so a second DNS answer (DNS rebinding) can never be used.
 * TLS still verifies the certificate against the real host name. Redirects are never followed, the connection and
 * the whole exchange have timeouts, and at most MAX_RESPONSE_BYTES of the answer are read.
 */
import type { IncomingHttpHeaders } from 'node:http';
import * as http from 'node:http';
import * as https from 'node:https';
import type { LookupFunction } from 'node:net';
import { CallbackRejectedError, CallbackRetryableError, CallbackRetryAfterError } from './errors';
import {
  type CallbackPolicy,
  checkCallbackUrl,
  redactUrl,
  type ResolvedTarget,
  type Resolver,
  resolveCallbackTarget,
  systemResolver,
} from './ssrf';

/** At most this much of a response body is read; the connection is closed after it. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/** How much of a response body goes into error messages. */
const SNIPPET_CHARS = 200;

/** Creates the HTTP(S) request; `http.request` or `https.request` unless a test injects a spy. */
export type RequestFunction = (options: https.RequestOptions) => http.ClientRequest;

/** Limits of one delivery, from the environment. */
export interface DeliverySettings {
  readonly policy: CallbackPolicy;
  readonly connectTimeoutMs: number;
  /** Limit for each POST, from the start of the connection to the end of reading the answer. */
  readonly totalTimeoutMs: number;
  /**
   * Longest wait a 429/503 `Retry-After` may ask for, in seconds; longer requests are cut to it. The wait itself is
   * the state machine's (a Wait state), never this function's.
   */
  readonly retryAfterCapSeconds: number;
}

/** Replaceable collaborators, for tests. */
export interface DeliveryDependencies {
  readonly resolve?: Resolver;
  readonly request?: RequestFunction;
  /** Extra trusted CA certificates (tests use a self-signed receiver). */
  readonly ca?: string | Buffer;
}

/** The message to deliver. */
export interface DeliveryMessage {
  readonly url: string;
  /** The exact bytes sent, as UTF-8 text. */
  readonly body: string;
  /** Headers for a POST, built just before it is sent so signatures carry a fresh timestamp. */
  readonly headers: () => Readonly<Record<string, string>>;
}

/** A delivery the receiver accepted (2xx). */
export interface DeliveryOutcome {
  readonly statusCode: number;
  /** Response body bytes kept, at most MAX_RESPONSE_BYTES. */
  readonly bytesRead: number;
}

interface RawResponse {
  readonly statusCode: number;
  readonly statusMessage: string;
  readonly headers: IncomingHttpHeaders;
  readonly bytesRead: number;
  readonly snippet: string;
}

/** How a final status code is treated. https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md */
export type StatusVerdict = 'success' | 'retryable' | 'rejected';

/** 2xx succeeds; 408, 429 and 5xx are transient; 3xx (never followed), 410 and other 4xx are final. */
export function judgeStatus(statusCode: number): StatusVerdict {
  if (statusCode >= 200 && statusCode < 300) return 'success';
  if (statusCode === 408 || statusCode === 429 || (statusCode >= 500 && statusCode < 600)) return 'retryable';
  return 'rejected';
}

/**
 * Seconds to wait from a Retry-After header: delay-seconds, or an HTTP-date (a past date means 0). Undefined when
 * the header is absent or unreadable. https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3
 */
export function parseRetryAfterSeconds(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  // IMF-fixdate and the obsolete formats all name a weekday or month; this keeps plain numbers with signs out.
  if (!/[a-z]/i.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isFinite(date) ? Math.max(0, Math.ceil((date - now) / 1000)) : undefined;
}

function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return (_hostname, options, callback) => {
    // net.connect asks for all addresses when it may try several families (autoSelectFamily).
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

function sanitiseSnippet(bytes: Buffer): string {
  return bytes.toString('utf8', 0, Math.min(bytes.length, SNIPPET_CHARS * 4)).replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, SNIPPET_CHARS);
}

function postOnce(
  target: ResolvedTarget,
  body: string,
  headers: Readonly<Record<string, string>>,
  settings: DeliverySettings,
  deps: DeliveryDependencies,
): Promise<RawResponse> {
  const shown = redactUrl(target.url);
  const where = `${shown} (${target.address} port ${target.port})`;
  const request: RequestFunction = deps.request ?? (target.protocol === 'https:' ? https.request : http.request);
  return new Promise<RawResponse>((resolve, reject) => {
    let settled = false;
    let connectTimer: NodeJS.Timeout | undefined;
    let deadlineTimer: NodeJS.Timeout | undefined;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(deadlineTimer);
      outcome();
    };
    const deadline = Date.now() + settings.totalTimeoutMs;
    const literal = target.literal !== undefined;
    const req = request({
      protocol: target.protocol,
      method: 'POST',
      host: literal ? target.address : target.hostname,
      port: target.port,
      path: `${target.url.pathname}${target.url.search}`,
      headers: { ...headers, Host: target.url.host, 'Content-Length': String(Buffer.byteLength(body, 'utf8')) },
      // No pooled sockets: each POST connects to the address checked for it, and nothing outlives the invocation.
      agent: false,
      lookup: pinnedLookup(target.address, target.family),
      // SNI carries the host name, never an IP literal (RFC 6066 §3); certificates are verified against that name.
      ...(literal ? {} : { servername: target.hostname }),
      ...(deps.ca !== undefined && { ca: deps.ca }),
    });
    const fail = (error: Error): void => {
      settle(() => reject(error));
      req.destroy();
    };
    connectTimer = setTimeout(
      () => fail(new CallbackRetryableError(`Connecting to ${where} timed out after ${settings.connectTimeoutMs} ms`)),
      settings.connectTimeoutMs,
    );
    deadlineTimer = setTimeout(
      () => fail(new CallbackRetryableError(`POST to ${where} timed out after ${settings.totalTimeoutMs} ms`)),
      settings.totalTimeoutMs,
    );
    req.on('socket', (socket) => {
      if (socket.connecting) socket.once('connect', () => clearTimeout(connectTimer));
      else clearTimeout(connectTimer);
    });
    req.on('error', (error: NodeJS.ErrnoException) => {
      fail(new CallbackRetryableError(`POST to ${where} failed: ${error.code ?? error.name}: ${error.message}`, { cause: error }));
    });
    req.on('response', (res) => {
      clearTimeout(connectTimer);
      const chunks: Buffer[] = [];
      let bytesRead = 0;
      const finish = (): void => {
        settle(() =>
          resolve({
            statusCode: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? '',
            headers: res.headers,
            bytesRead,
            snippet: sanitiseSnippet(Buffer.concat(chunks)),
          }),
        );
        res.destroy();
      };
      // The status is known now: running out of time while reading the body still yields that status.
      clearTimeout(deadlineTimer);
      deadlineTimer = setTimeout(finish, Math.max(0, deadline - Date.now()));
      res.on('data', (chunk: Buffer) => {
        const room = MAX_RESPONSE_BYTES - bytesRead;
        chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
        bytesRead += Math.min(chunk.length, room);
        if (bytesRead >= MAX_RESPONSE_BYTES) finish();
      });
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', finish);
    });
    req.end(body);
  });
}

/**
 * Checks the URL, resolves and checks its addresses, then POSTs the body once. Waiting and retrying are the state
 * machine's: this function never sleeps, so no Lambda time is billed while a receiver recovers.
 *
 * @throws CallbackUrlBlockedError before any connection when the URL or an address breaks the policy
 * @throws CallbackRetryAfterError on 429 or 503 with a readable Retry-After (capped at `retryAfterCapSeconds`)
 * @throws CallbackRetryableError on connection errors, timeouts, 408, 429 and 5xx otherwise
 * @throws CallbackRejectedError on 3xx (redirects are not followed), 410 and other 4xx
 */
export async function deliver(message: DeliveryMessage, settings: DeliverySettings, deps: DeliveryDependencies = {}): Promise<DeliveryOutcome> {
  const target = await resolveCallbackTarget(checkCallbackUrl(message.url, settings.policy), settings.policy, deps.resolve ?? systemResolver);
  const response = await postOnce(target, message.body, message.headers(), settings, deps);
  const verdict = judgeStatus(response.statusCode);
  if (verdict === 'success') return { statusCode: response.statusCode, bytesRead: response.bytesRead };

  const header = response.headers['retry-after'];
  const retryAfter = Array.isArray(header) ? header[0] : header;
  const detail =
    `Callback receiver ${redactUrl(target.url)} answered ${response.statusCode} ${response.statusMessage}`.trimEnd() +
    (retryAfter === undefined ? '' : ` (Retry-After: ${retryAfter})`) +
    (response.snippet === '' ? '' : `: ${response.snippet}`);
  if (response.statusCode === 429 || response.statusCode === 503) {
    const requested = parseRetryAfterSeconds(retryAfter, Date.now());
    if (requested !== undefined) throw new CallbackRetryAfterError(Math.min(requested, settings.retryAfterCapSeconds), detail);
  }
  throw verdict === 'retryable' ? new CallbackRetryableError(detail) : new CallbackRejectedError(detail);
}
