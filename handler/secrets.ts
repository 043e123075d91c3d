/** Reads the webhook signing keys from Secrets Manager, cached per sandbox for a few minutes. */
import { environmentCredentials } from './aws/credentials';
import { getSecretString } from './aws/secrets-manager';
import { SigningSecretUnavailableError } from './errors';
import { parseSigningSecrets } from './signing';

/**
 * How long fetched keys are reused. Short enough that a rotation (new secret added next to the old one) reaches
 * every warm sandbox within minutes, long enough that a burst of deliveries makes one GetSecretValue call.
 */
export const SECRET_CACHE_MILLIS = 5 * 60 * 1000;

let cached: { readonly secretArn: string; readonly keys: readonly Buffer[]; readonly fetchedAt: number } | undefined;

/**
 * The signing keys held by the secret. Throws SigningSecretUnavailableError (retryable) when the secret cannot be
 * read or does not hold `whsec_` values. Never logs or reports the secret's text.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 */
export async function getSigningKeys(secretArn: string, now: number = Date.now()): Promise<readonly Buffer[]> {
  if (cached !== undefined && cached.secretArn === secretArn && now - cached.fetchedAt < SECRET_CACHE_MILLIS) return cached.keys;
  let secretString: string | undefined;
  try {
    secretString = await getSecretString(secretArn, environmentCredentials(process.env), process.env);
  } catch (error) {
    const name = error instanceof Error ? error.name : 'unknown error';
    throw new SigningSecretUnavailableError(`secretsmanager:GetSecretValue of ${secretArn} failed with ${name}`, { cause: error });
  }
  if (secretString === undefined) {
    throw new SigningSecretUnavailableError(`Signing secret ${secretArn} has no SecretString (binary secrets are not supported)`);
  }
  const keys = parseSigningSecrets(secretString, secretArn);
  cached = { secretArn, keys, fetchedAt: now };
  return keys;
}
