/**
 * AWS Signature Version 4 for the twin's API: verifying incoming requests as API Gateway's AWS_IAM authorization
 * does, and signing outgoing ones as a real client would.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html
 *
 * Verification recomputes the signature over exactly the headers the client listed in SignedHeaders, with the same
 * @smithy/signature-v4 signer the AWS SDKs use, and compares in constant time.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac, type Hash, type Hmac, timingSafeEqual } from 'node:crypto';

/** Long-lived or session credentials. */
export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

type SourceData = string | ArrayBuffer | ArrayBufferView;

function toBuffer(data: SourceData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.from(data);
}

/** SHA-256 (or HMAC-SHA-256 when given a secret) in the shape the signer expects, on node:crypto. */
export class NodeSha256 {
  private readonly hash: Hash | Hmac;

  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', toBuffer(secret));
  }

  update(data: SourceData): void {
    this.hash.update(toBuffer(data));
  }

  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

/** The parts of an HTTP request that SigV4 covers. */
export interface SignableRequest {
  readonly method: string;
  readonly url: URL;
  /** Header values by lower-case name. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Where a signature is scoped. */
export interface SigningScope {
  readonly region: string;
  /** `execute-api` for API Gateway. */
  readonly service: string;
}

function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of url.searchParams) {
    const existing = query[key];
    query[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return query;
}

async function computeAuthorization(
  request: SignableRequest,
  headers: Record<string, string>,
  credentials: StaticCredentials,
  scope: SigningScope,
  signingDate: Date,
  signableHeaders?: Set<string>,
): Promise<Record<string, string>> {
  // applyChecksum off: the signer must not add an x-amz-content-sha256 header the client never signed.
  const signer = new SignatureV4({ credentials, region: scope.region, service: scope.service, sha256: NodeSha256, applyChecksum: false });
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      port: request.url.port === '' ? undefined : Number(request.url.port),
      path: request.url.pathname,
      query: queryOf(request.url),
      headers,
      body: request.body,
    },
    { signingDate, signableHeaders },
  );
  return signed.headers;
}

/**
 * Signs a request with header authentication. Returns the headers to send: the given ones plus `host`,
 * `x-amz-date`, `authorization` (and `x-amz-security-token` for session credentials).
 */
export async function signRequest(
  request: SignableRequest,
  credentials: StaticCredentials,
  scope: SigningScope,
  signingDate: Date = new Date(),
): Promise<Record<string, string>> {
  const headers = { ...request.headers, host: request.url.host };
  return computeAuthorization(request, headers, credentials, scope, signingDate);
}

/** Why a request failed authentication, with the message and error type API Gateway answers with. */
export interface SignatureRejection {
  readonly ok: false;
  /** `MISSING_AUTHENTICATION_TOKEN` when no signature was sent at all; otherwise `INVALID_SIGNATURE`. */
  readonly gatewayResponseType: 'MISSING_AUTHENTICATION_TOKEN' | 'INVALID_SIGNATURE';
  /** Value of the `x-amzn-ErrorType` header. */
  readonly errorType: string;
  readonly message: string;
}

/** A request whose signature checked out. */
export interface SignatureAcceptance {
  readonly ok: true;
  readonly accessKeyId: string;
}

/** Options of {@link verifySignature}. */
export interface VerifyOptions extends SigningScope {
  /** The secret of an access key, or undefined when the key is unknown. */
  readonly secretFor: (accessKeyId: string) => string | undefined;
  /** @default Date.now() */
  readonly now?: number;
}

/** AWS rejects signatures dated more than 5 minutes away from its clock. */
const MAX_CLOCK_SKEW_MS = 5 * 60 * 1000;

const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

function reject(errorType: string, message: string, missing = false): SignatureRejection {
  return { ok: false, gatewayResponseType: missing ? 'MISSING_AUTHENTICATION_TOKEN' : 'INVALID_SIGNATURE', errorType, message };
}

function parseAmzDate(text: string | undefined): Date | undefined {
  const match = text === undefined ? null : /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/**
 * Verifies the `Authorization: AWS4-HMAC-SHA256 ...` header of a request, as API Gateway does for AWS_IAM methods.
 * Messages are API Gateway's own.
 */
export async function verifySignature(request: SignableRequest, options: VerifyOptions): Promise<SignatureAcceptance | SignatureRejection> {
  const authorization = request.headers.authorization;
  if (authorization === undefined || authorization === '') return reject('MissingAuthenticationTokenException', 'Missing Authentication Token', true);
  const match = /^AWS4-HMAC-SHA256 (.*)$/.exec(authorization);
  if (match === null) {
    return reject('IncompleteSignatureException', `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization}`);
  }
  const fields = Object.fromEntries(
    match[1].split(',').map((part) => {
      const [key, ...value] = part.trim().split('=');
      return [key, value.join('=')];
    }),
  );
  const missing = ['Credential', 'SignedHeaders', 'Signature'].filter((name) => !fields[name]);
  if (missing.length > 0) {
    return reject('IncompleteSignatureException', missing.map((name) => `Authorization header requires '${name}' parameter.`).join(' '));
  }
  const [accessKeyId, shortDate, region, service, terminator] = fields.Credential.split('/');
  if (terminator !== 'aws4_request' || !/^\d{8}$/.test(shortDate ?? '')) {
    return reject('IncompleteSignatureException', `Credential is malformed: ${fields.Credential}`);
  }
  const signingDate = parseAmzDate(request.headers['x-amz-date']);
  if (signingDate === undefined) {
    return reject('IncompleteSignatureException', "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }
  const secret = options.secretFor(accessKeyId);
  if (secret === undefined) return reject('UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (region !== options.region) return reject('InvalidSignatureException', 'Credential should be scoped to a valid region.');
  if (service !== options.service) {
    return reject('InvalidSignatureException', `Credential should be scoped to correct service: '${options.service}'.`);
  }
  const now = options.now ?? Date.now();
  if (Math.abs(now - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) {
    const bound = new Date(now + (signingDate.getTime() < now ? -MAX_CLOCK_SKEW_MS : MAX_CLOCK_SKEW_MS));
    const relation = signingDate.getTime() < now ? 'earlier' : 'later';
    return reject(
      'InvalidSignatureException',
      `Signature expired: ${amzDate(signingDate)} is now ${relation} than ${amzDate(bound)} (${amzDate(new Date(now))} ${relation === 'earlier' ? '-' : '+'} 5 min.)`,
    );
  }
  if (shortDate !== amzDate(signingDate).slice(0, 8)) {
    return reject('InvalidSignatureException', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${shortDate}' != '${amzDate(signingDate).slice(0, 8)}'`);
  }

  const signedHeaders = fields.SignedHeaders.split(';');
  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = request.headers[name];
    if (value === undefined) return reject('InvalidSignatureException', signatureMismatch);
    headers[name] = value;
  }
  // A signed x-amz-content-sha256 is only a claim; the body must really hash to it, or a replayed signature could
  // carry a different body.
  const claimed = headers['x-amz-content-sha256'];
  const actual = request.body === '' ? EMPTY_SHA256 : createHash('sha256').update(request.body, 'utf8').digest('hex');
  if (claimed !== undefined && claimed !== actual) return reject('InvalidSignatureException', signatureMismatch);

  const expected = await computeAuthorization(request, headers, { accessKeyId, secretAccessKey: secret }, options, signingDate, new Set(signedHeaders));
  const expectedSignature = /Signature=([0-9a-f]{64})/.exec(expected.authorization ?? '')?.[1] ?? '';
  const given = Buffer.from(fields.Signature, 'utf8');
  const wanted = Buffer.from(expectedSignature, 'utf8');
  const sameHeaders = /SignedHeaders=([^,]+)/.exec(expected.authorization ?? '')?.[1] === fields.SignedHeaders;
  if (!sameHeaders || given.length !== wanted.length || !timingSafeEqual(given, wanted)) {
    return reject('InvalidSignatureException', signatureMismatch);
  }
  return { ok: true, accessKeyId };
}

const signatureMismatch =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key ' +
  'and signing method. Consult the service documentation for details.';
