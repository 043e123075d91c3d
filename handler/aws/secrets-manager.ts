/**
 * secretsmanager:GetSecretValue over the AWS JSON 1.1 protocol.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 */
import type { Environment } from '../env';
import { isObject } from '../json';
import type { SigningCredentials } from './credentials';
import { regionOf, serviceEndpoint } from './endpoints';
import { type AwsResponse, AwsServiceError, callAws, type CallDependencies } from './http';

/**
 * The error code of a JSON-protocol answer: the X-Amzn-ErrorType header, else `__type` or `code` in the body,
 * stripped of a namespace (`com.amazon…#Code`) and of a `:uri` suffix, as the SDK does.
 */
function parseJsonError(response: AwsResponse): AwsServiceError {
  let body: unknown;
  try {
    body = JSON.parse(response.body);
  } catch {
    body = undefined;
  }
  const fields = isObject(body) ? body : {};
  const header = response.headers['x-amzn-errortype'];
  const raw = [Array.isArray(header) ? header[0] : header, fields.__type, fields.code].find((v): v is string => typeof v === 'string' && v !== '');
  const code = raw === undefined ? `HTTP${response.statusCode}` : (raw.split(':')[0].split('#').pop() ?? raw);
  const message = [fields.message, fields.Message].find((v): v is string => typeof v === 'string') ?? `answered ${response.statusCode}`;
  return new AwsServiceError(code, message, response.statusCode);
}

/**
 * The secret's SecretString, or undefined for a binary secret.
 *
 * @throws AwsServiceError named after the service's error code (e.g. `ResourceNotFoundException`)
 */
export async function getSecretString(
  secretId: string,
  credentials: SigningCredentials,
  env: Environment,
  deps: CallDependencies = {},
): Promise<string | undefined> {
  const region = regionOf(env);
  const response = await callAws(
    {
      endpoint: serviceEndpoint(env, 'secretsmanager', region),
      scope: { region, service: 'secretsmanager' },
      credentials,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
      body: JSON.stringify({ SecretId: secretId }),
      parseError: parseJsonError,
    },
    deps,
  );
  const parsed: unknown = JSON.parse(response.body);
  const secretString = isObject(parsed) ? parsed.SecretString : undefined;
  return typeof secretString === 'string' ? secretString : undefined;
}
