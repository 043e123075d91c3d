/**
 * Standard Webhooks 1.0 signing: `webhook-id`, `webhook-timestamp` and `webhook-signature` headers.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
import { createHash, createHmac } from 'node:crypto';
import { SigningSecretUnavailableError } from './errors';

/** Symmetric secrets are written `whsec_<base64>`; the key is the base64-decoded remainder. */
export const SECRET_PREFIX = 'whsec_';

/** The spec asks for secrets of 24 to 64 bytes; shorter keys are refused rather than used weakly. */
export const MIN_SECRET_BYTES = 24;

/** Prefix of webhook ids, as in the spec's examples (`msg_...`). */
export const WEBHOOK_ID_PREFIX = 'msg_';

/** The three Standard Webhooks headers. */
export interface WebhookSignatureHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/**
 * The delivery's webhook id, derived from the execution ARN so it stays the same across every retry and every
 * redrive of the same execution (receivers deduplicate on it). base64url has no `.`, which the signed content
 * `id.timestamp.body` reserves as its separator.
 */
export function webhookIdFor(executionArn: string): string {
  return `${WEBHOOK_ID_PREFIX}${createHash('sha256').update(executionArn, 'utf8').digest('base64url')}`;
}

/**
 * Parses a SecretString holding one or more `whsec_<base64>` values separated by whitespace (several during a
 * rotation). Messages name the position of a bad value, never the value.
 *
 * @param secretString the secret's text
 * @param source where the text came from, for messages (the secret ARN)
 */
export function parseSigningSecrets(secretString: string, source: string): Buffer[] {
  const values = secretString.split(/\s+/).filter((v) => v !== '');
  if (values.length === 0) {
    throw new SigningSecretUnavailableError(`Signing secret ${source} is empty; it must hold one or more ${SECRET_PREFIX}<base64> values`);
  }
  return values.map((value, index) => {
    const position = `value ${index + 1} of ${values.length} in signing secret ${source}`;
    if (!value.startsWith(SECRET_PREFIX)) {
      throw new SigningSecretUnavailableError(`The ${position} does not start with ${SECRET_PREFIX}`);
    }
    const encoded = value.slice(SECRET_PREFIX.length);
    const key = Buffer.from(encoded, 'base64');
    // Buffer.from ignores bad characters, so compare the round trip to catch garbled text.
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || key.toString('base64').replace(/=+$/, '') !== encoded.replace(/=+$/, '')) {
      throw new SigningSecretUnavailableError(`The ${position} is not valid base64 after ${SECRET_PREFIX}`);
    }
    if (key.length < MIN_SECRET_BYTES) {
      throw new SigningSecretUnavailableError(`The ${position} decodes to ${key.length} bytes; at least ${MIN_SECRET_BYTES} are required`);
    }
    return key;
  });
}

/** `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` for one key. */
export function signWebhook(key: Uint8Array, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest('base64');
  return `v1,${mac}`;
}

/**
 * The signature headers for one POST. With several keys (rotation) the signature header lists one `v1,<sig>` per
 * key, space-separated, so receivers holding either secret can verify.
 */
export function webhookSignatureHeaders(
  id: string,
  timestampSeconds: number,
  body: string,
  keys: readonly Uint8Array[],
): WebhookSignatureHeaders {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': keys.map((key) => signWebhook(key, id, timestampSeconds, body)).join(' '),
  };
}
