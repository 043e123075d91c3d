/**
 * The function's own credentials, from the environment variables the Lambda runtime sets.
 * https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime
 *
 * Only the environment source of the SDK's default chain is implemented: a Lambda function always has it, and the
 * other sources (profiles, SSO, IMDS, container endpoints) would bring their code into the bundle for nothing.
 * AWS_CREDENTIAL_EXPIRATION is honoured as the SDK's `fromEnv` does, so expiring environment credentials still
 * cap the presigned URL's lifetime.
 */
import type { Environment } from '../env';

/** Credentials to sign with; `expiration` is absent for long-lived keys. */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** The environment holds no usable credentials. The name is the one the SDK's providers use. */
export class CredentialsProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsProviderError';
  }
}

function nonEmpty(env: Environment, key: string): string | undefined {
  const value = env[key];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN and AWS_CREDENTIAL_EXPIRATION.
 *
 * @throws CredentialsProviderError when the keys are missing or the expiration is not a date
 */
export function environmentCredentials(env: Environment): SigningCredentials {
  const accessKeyId = nonEmpty(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = nonEmpty(env, 'AWS_SECRET_ACCESS_KEY');
  if (accessKeyId === undefined || secretAccessKey === undefined) {
    throw new CredentialsProviderError('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (the Lambda runtime sets them)');
  }
  const expirationText = nonEmpty(env, 'AWS_CREDENTIAL_EXPIRATION');
  const expiration = expirationText === undefined ? undefined : new Date(expirationText);
  if (expiration !== undefined && Number.isNaN(expiration.getTime())) {
    throw new CredentialsProviderError(`AWS_CREDENTIAL_EXPIRATION must be an ISO 8601 date, got '${expirationText}'`);
  }
  return { accessKeyId, secretAccessKey, sessionToken: nonEmpty(env, 'AWS_SESSION_TOKEN'), expiration };
}
