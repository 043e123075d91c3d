/**
 * sts:AssumeRole over the AWS Query protocol: a form-encoded POST, answered in XML.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
import type { Environment } from '../env';
import type { SigningCredentials } from './credentials';
import { regionOf, serviceEndpoint } from './endpoints';
import { type AwsResponse, AwsServiceError, callAws, type CallDependencies } from './http';
import { encodeRfc3986 } from './sigv4';

/** The API version the Query protocol requires in every request. */
const API_VERSION = '2011-06-15';

/** What to assume. */
export interface AssumeRoleInput {
  readonly roleArn: string;
  readonly roleSessionName: string;
  readonly durationSeconds: number;
}

/** Session credentials; STS always gives an expiration. */
export type SessionCredentials = SigningCredentials & { readonly sessionToken: string; readonly expiration: Date };

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decodeXml(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (entity, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(parseInt(name.slice(1), 10));
    return XML_ENTITIES[name] ?? entity;
  });
}

/** The text of the first `<tag>` element in the document (these answers have no attributes or CDATA). */
function element(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml);
  return match === null ? undefined : decodeXml(match[1]);
}

/** `<ErrorResponse><Error><Code>…</Code><Message>…</Message></Error></ErrorResponse>`. */
function parseQueryError(response: AwsResponse): AwsServiceError {
  const code = element(response.body, 'Code') ?? `HTTP${response.statusCode}`;
  const message = element(response.body, 'Message') ?? `sts answered ${response.statusCode} without an error document`;
  return new AwsServiceError(code, message, response.statusCode);
}

/**
 * Assumes the role with the given credentials, at the regional STS endpoint (or AWS_ENDPOINT_URL_STS).
 *
 * @throws AwsServiceError named after STS's error code (e.g. `ValidationError`, `AccessDenied`)
 */
export async function assumeRole(
  input: AssumeRoleInput,
  credentials: SigningCredentials,
  env: Environment,
  deps: CallDependencies = {},
): Promise<SessionCredentials> {
  const region = regionOf(env);
  const params: Record<string, string> = {
    Action: 'AssumeRole',
    Version: API_VERSION,
    RoleArn: input.roleArn,
    RoleSessionName: input.roleSessionName,
    DurationSeconds: String(input.durationSeconds),
  };
  const response = await callAws(
    {
      endpoint: serviceEndpoint(env, 'sts', region),
      scope: { region, service: 'sts' },
      credentials,
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: Object.entries(params)
        .map(([key, value]) => `${encodeRfc3986(key)}=${encodeRfc3986(value)}`)
        .join('&'),
      parseError: parseQueryError,
    },
    deps,
  );
  const accessKeyId = element(response.body, 'AccessKeyId');
  const secretAccessKey = element(response.body, 'SecretAccessKey');
  const sessionToken = element(response.body, 'SessionToken');
  const expirationText = element(response.body, 'Expiration');
  const expiration = expirationText === undefined ? undefined : new Date(expirationText);
  if (!accessKeyId || !secretAccessKey || !sessionToken || expiration === undefined || Number.isNaN(expiration.getTime())) {
    throw new Error('the AssumeRole response carries no complete Credentials');
  }
  return { accessKeyId, secretAccessKey, sessionToken, expiration };
}
