/** Reads the webhook signing secrets from Secrets Manager, cached per sandbox for a few minutes. */
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { Webhook } from 'standardwebhooks';
import { secretsManagerClient } from './clients';
import { SigningSecretUnavailableError } from './errors';
import { parseSigningSecrets } from './signing';

/**
 * How long fetched secrets are reused. Short enough that a rotation (new secret added next to the old one) reaches
 * every warm sandbox within minutes, long enough that a burst of deliveries makes one GetSecretValue call.
 */
export const SECRET_CACHE_MILLIS = 5 * 60 * 1000;

let cached: { readonly secretArn: string; readonly signers: readonly Webhook[]; readonly fetchedAt: number } | undefined;

/**
 * One signer per secret value the secret holds. Throws SigningSecretUnavailableError (retryable) when the secret
 * cannot be read or does not hold `whsec_` values. Never logs or reports the secret's text.
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_GetSecretValue.html
 */
export async function getSigners(secretArn: string, now: number = Date.now()): Promise<readonly Webhook[]> {
  if (cached !== undefined && cached.secretArn === secretArn && now - cached.fetchedAt < SECRET_CACHE_MILLIS) return cached.signers;
  let secretString: string | undefined;
  try {
    ({ SecretString: secretString } = await secretsManagerClient.send(new GetSecretValueCommand({ SecretId: secretArn })));
  } catch (error) {
    const name = error instanceof Error ? error.name : 'unknown error';
    throw new SigningSecretUnavailableError(`secretsmanager:GetSecretValue of ${secretArn} failed with ${name}`, { cause: error });
  }
  if (secretString === undefined) {
    throw new SigningSecretUnavailableError(`Signing secret ${secretArn} has no SecretString (binary secrets are not supported)`);
  }
  const signers = parseSigningSecrets(secretString, secretArn);
  cached = { secretArn, signers, fetchedAt: now };
  return signers;
}
