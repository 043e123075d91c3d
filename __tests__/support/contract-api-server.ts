/**
 * A local HTTP server on 127.0.0.1 that speaks the query API's contract (/work/wt/ISSUE11-CONTRACT.md, README "The
 * query API") for the client's and the CLI's tests: it verifies every request's SigV4 signature as API Gateway's
 * AWS_IAM does (the twin's verifier, on @smithy/signature-v4), answers each route as the contract says, errors
 * included, and serves result CSVs behind presigned-looking links. A query's state advances one step per status
 * read, so a test decides a lifecycle by poll count, never by time. Not a suite.
 *
 * The real routes are proven against the offline twin (__tests__/e2e/); this server lets the client be tested on
 * every answer the contract allows, including ones the twin cannot be made to give on demand (a 503, a broken link).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import { type StaticCredentials, verifySignature } from '../../twin/iam/sigv4-verifier';
import { flatHeaders, listenLocally, readBody } from '../../twin/wiring/http-util';

/** The stage the server answers under. */
export const CONTRACT_STAGE = 'live';

export type ContractState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** One request as the server saw it, after its signature checked out (or not). */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The access key that signed it, when the signature was valid. */
  readonly accessKeyId?: string;
  /** The SignedHeaders list of the Authorization header. */
  readonly signedHeaders?: readonly string[];
}

/** An answer given instead of the normal one, to the next matching request(s). */
export interface InjectedAnswer {
  readonly method: string;
  /** Matched against the path below the stage, e.g. `/queries/q-1`. */
  readonly path: RegExp;
  /** How many matching requests get it. @default 1 */
  readonly times?: number;
  readonly status: number;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Options of {@link startContractApi}. */
export interface ContractApiOptions {
  /** Credentials whose signatures are accepted. */
  readonly credentials: readonly StaticCredentials[];
  /** @default 'us-east-1' */
  readonly region?: string;
  /** The states a new query goes through, one per status read; the last one stays. @default QUEUED, RUNNING, SUCCEEDED */
  readonly lifecycle?: (body: Record<string, unknown>) => readonly ContractState[];
  /** The result CSV of a SUCCEEDED query. @default a two-row CSV naming the query */
  readonly csv?: (queryId: string) => string;
}

interface FakeQuery {
  readonly queryId: string;
  readonly executionArn: string;
  readonly startDate: number;
  readonly bodyText: string;
  readonly body: Record<string, unknown>;
  readonly states: ContractState[];
  reads: number;
  cancelRequested: boolean;
  readonly linkSignature: string;
}

/** A running contract server. */
export interface ContractApi {
  /** `http://127.0.0.1:<port>/live`. */
  readonly stageUrl: string;
  /** Every request, in order. */
  readonly requests: RecordedRequest[];
  /** Answers the next matching request(s) with this instead. */
  inject(answer: InjectedAnswer): void;
  /** The state a query is in now (undefined when unknown). */
  stateOf(queryId: string): ContractState | undefined;
  close(): Promise<void>;
}

const ID_RULE = /^[A-Za-z0-9_-]{1,80}$/;
const ACCOUNT = '123456789012';
const BODY_FIELDS = ['Query', 'CallbackUrl', 'ExecutionParameters', 'ResultReuseMaxAgeMinutes'];

/** The body's problem as the query API words it (field, rule, value), or undefined when it is valid. */
function bodyProblem(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'the body must be a JSON object';
  const fields = body as Record<string, unknown>;
  const extra = Object.keys(fields).filter((k) => !BODY_FIELDS.includes(k));
  if (extra.length > 0) return `${extra[0]} is not a property of the request (allowed: ${BODY_FIELDS.join(', ')})`;
  if (typeof fields.Query !== 'string' || fields.Query.trim() === '') return `Query must be a non-blank string, got ${JSON.stringify(fields.Query)}`;
  if (typeof fields.CallbackUrl !== 'string' || !fields.CallbackUrl.startsWith('https://')) return 'CallbackUrl must be an https:// URL';
  const params = fields.ExecutionParameters;
  if (params !== undefined && (!Array.isArray(params) || params.length === 0 || params.some((p) => typeof p !== 'string' || p.length < 1 || p.length > 1024))) {
    return `ExecutionParameters must be a non-empty array of strings of 1..1024 characters, got ${JSON.stringify(params)}`;
  }
  const reuse = fields.ResultReuseMaxAgeMinutes;
  if (reuse !== undefined && (!Number.isInteger(reuse) || (reuse as number) < 0 || (reuse as number) > 10080)) {
    return `ResultReuseMaxAgeMinutes must be an integer of 0..10080, got ${JSON.stringify(reuse)}`;
  }
  return undefined;
}

/** Starts the server on 127.0.0.1. */
export async function startContractApi(options: ContractApiOptions): Promise<ContractApi> {
  const region = options.region ?? 'us-east-1';
  const requests: RecordedRequest[] = [];
  const injected: { answer: InjectedAnswer; left: number }[] = [];
  const queries = new Map<string, FakeQuery>();
  const lifecycle = options.lifecycle ?? (() => ['QUEUED', 'RUNNING', 'SUCCEEDED'] as const);
  const csv = options.csv ?? ((id: string) => `"query","n"\n"${id}","1"\n"${id}","2"\n`);
  const secretFor = (key: string): string | undefined => options.credentials.find((c) => c.accessKeyId === key)?.secretAccessKey;
  let origin = '';

  const current = (q: FakeQuery): ContractState => q.states[Math.min(q.reads, q.states.length - 1)];

  const server = http.createServer((req, res) => {
    const requestId = randomUUID();
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-RequestId': requestId, ...headers });
      res.end(text);
    };
    const error = (status: number, message: string, extra: Record<string, unknown> = {}): void => send(status, { message, requestId, ...extra });

    const handle = async (): Promise<void> => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const headers = flatHeaders(req);
      const body = await readBody(req);
      const method = req.method ?? '';

      // The presigned result links: S3's answers, no SigV4 header.
      const resultFile = /^\/results\/([^/]+)\.csv$/.exec(url.pathname);
      if (resultFile !== null) {
        requests.push({ method, path: url.pathname, headers, body });
        const q = queries.get(resultFile[1]);
        if (q === undefined || url.searchParams.get('X-Amz-Signature') !== q.linkSignature) {
          res.writeHead(403, { 'content-type': 'application/xml' });
          res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
          return;
        }
        res.writeHead(200, { 'content-type': 'text/csv' });
        res.end(csv(q.queryId));
        return;
      }

      const stagePrefix = `/${CONTRACT_STAGE}`;
      const route = url.pathname.startsWith(`${stagePrefix}/`) ? url.pathname.slice(stagePrefix.length) : undefined;
      const verdict = await verifySignature({ method, url, headers, body }, { region, service: 'execute-api', secretFor });
      const signedHeaders = /SignedHeaders=([^,]+)/.exec(headers.authorization ?? '')?.[1]?.split(';');
      requests.push({ method, path: url.pathname, headers, body, ...(verdict.ok && { accessKeyId: verdict.accessKeyId }), ...(signedHeaders !== undefined && { signedHeaders }) });

      const injection = injected.find((i) => i.left > 0 && i.answer.method === method && route !== undefined && i.answer.path.test(route));
      if (injection !== undefined) {
        injection.left -= 1;
        res.writeHead(injection.answer.status, { 'content-type': 'application/json', 'x-amzn-RequestId': requestId, ...injection.answer.headers });
        res.end(injection.answer.body);
        return;
      }

      const queryRoute = route === undefined ? null : /^\/queries(?:\/([^/]+)(\/result)?)?$/.exec(route);
      const known = queryRoute !== null && ((queryRoute[1] === undefined && method === 'POST') || (queryRoute[1] !== undefined && queryRoute[2] === undefined && (method === 'GET' || method === 'DELETE')) || (queryRoute[2] !== undefined && method === 'GET'));
      // API Gateway answers an unknown route like a missing signature.
      if (!known || queryRoute === null) return send(403, { message: 'Missing Authentication Token' }, { 'x-amzn-ErrorType': 'MissingAuthenticationTokenException' });
      if (!verdict.ok) {
        const message = verdict.gatewayResponseType === 'MISSING_AUTHENTICATION_TOKEN' ? 'Missing Authentication Token' : verdict.message;
        return send(403, { message }, { 'x-amzn-ErrorType': verdict.errorType });
      }

      if (method === 'POST') {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          return error(400, 'Invalid request body: not JSON');
        }
        // The request model (API Gateway) refuses a body without a required property, with its own answer.
        const missing = ['Query', 'CallbackUrl'].filter((field) => typeof parsed === 'object' && parsed !== null && !(field in parsed));
        if (missing.length > 0) return error(400, 'Invalid request body', { errors: `[object has missing required properties (${JSON.stringify(missing)})]` });
        // The function re-checks the rest and names the field, the rule and the value.
        const problem = bodyProblem(parsed);
        if (problem !== undefined) return error(400, `Invalid request body: ${problem}`);
        const key = headers['idempotency-key'];
        if (key !== undefined && !ID_RULE.test(key)) return error(400, `Idempotency-Key must be 1..80 characters of A-Za-z0-9_-, got ${JSON.stringify(key)}`);
        const existing = key === undefined ? undefined : queries.get(key);
        if (existing !== undefined) {
          if (existing.bodyText !== JSON.stringify(parsed)) return error(409, `Idempotency-Key ${key} was used with a different body`, { queryId: key });
          return send(200, { executionArn: existing.executionArn, startDate: existing.startDate, queryId: existing.queryId });
        }
        const queryId = key ?? requestId;
        const q: FakeQuery = {
          queryId,
          executionArn: `arn:aws:states:${region}:${ACCOUNT}:execution:contract-queries:${queryId}`,
          startDate: 1_700_000_000.123,
          bodyText: JSON.stringify(parsed),
          body: parsed as Record<string, unknown>,
          states: [...lifecycle(parsed as Record<string, unknown>)],
          reads: 0,
          cancelRequested: false,
          linkSignature: randomBytes(16).toString('hex'),
        };
        queries.set(queryId, q);
        return send(200, { executionArn: q.executionArn, startDate: q.startDate, queryId });
      }

      const id = decodeURIComponent(queryRoute[1] ?? '');
      if (!ID_RULE.test(id)) return error(400, `The query id must be 1..80 characters of A-Za-z0-9_-, got ${JSON.stringify(id)}`);
      const q = queries.get(id);
      if (q === undefined) return error(404, `No query ${id}`);
      const state = current(q);

      if (method === 'DELETE') {
        if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') return error(409, `Query ${id} has already finished: ${state}`, { status: state });
        q.states.splice(q.reads + 1, q.states.length, 'CANCELLED');
        if (state === 'QUEUED') q.states[q.reads] = 'CANCELLED';
        q.cancelRequested = true;
        return send(202, { queryId: id, status: state === 'QUEUED' ? 'CANCELLED' : 'CANCELLING' });
      }
      if (queryRoute[2] !== undefined) {
        if (state !== 'SUCCEEDED') return error(409, `Query ${id} is ${state}, not SUCCEEDED: it has no result`, { status: state });
        return send(200, { queryId: id, presignedUrl: `${origin}/results/${id}.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature=${q.linkSignature}`, expiredIn: 3600 });
      }
      q.reads += 1;
      const now = current(q);
      const final = now === 'SUCCEEDED' || now === 'FAILED' || now === 'CANCELLED';
      return send(200, {
        queryId: id,
        executionArn: q.executionArn,
        status: now,
        startDate: '2023-11-14T22:13:20.123Z',
        ...(final && { stopDate: '2023-11-14T22:14:02.000Z' }),
        ...(now === 'FAILED' && { stateChangeReason: "line 1:8: Column 'colx' cannot be resolved" }),
        ...(now === 'CANCELLED' && { stateChangeReason: 'Query cancelled by the caller' }),
        ...(now !== 'QUEUED' && { queryExecutionId: `qe-${id}` }),
        ...(now !== 'QUEUED' && { statistics: { DataScannedInBytes: 1536 * q.reads, EngineExecutionTimeInMillis: 1830 } }),
        callback: { status: 'pending' },
      });
    };
    handle().catch((e: unknown) => {
      if (!res.headersSent) error(500, `contract server: ${(e as Error).message}`);
    });
  });
  const running = await listenLocally(server);
  origin = `http://127.0.0.1:${running.port}`;
  return {
    stageUrl: `${origin}/${CONTRACT_STAGE}`,
    requests,
    inject: (answer) => injected.push({ answer, left: answer.times ?? 1 }),
    stateOf: (queryId) => {
      const q = queries.get(queryId);
      return q === undefined ? undefined : current(q);
    },
    close: running.close,
  };
}
