/**
 * Standard Webhooks 1.0 signing: `webhook-id`, `webhook-timestamp` and `webhook-signature` headers, signed by
 * `standardwebhooks`, the specification's reference library.
 * https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 *
 * The library signs with one secret at a time; during a rotation every secret signs and the header lists one
 * `v1,<signature>` per secret, space-separated, as the specification describes. Its secret parsing checks the base64
 * but accepts any non-empty key, so the `whsec_` prefix and the minimum length are checked here.
 */
import { Webhook } from 'standardwebhooks';
import { SigningSecretUnavailableError } from './errors';

export { WEBHOOK_ID_PREFIX, webhookIdFor } from './webhook-id';

/** Symmetric secrets are written `whsec_<base64>`; the key is the base64-decoded remainder. */
export const SECRET_PREFIX = 'whsec_';

/** The spec asks for secrets of 24 to 64 bytes; shorter keys are refused rather than used weakly. */
export const MIN_SECRET_BYTES = 24;

/** The three Standard Webhooks headers. */
export interface WebhookSignatureHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/**
 * Parses a SecretString holding one or more `whsec_<base64>` values separated by whitespace (several during a
 * rotation) into one signer per value, in order. Messages name the position of a bad value, never the value.
 *
 * @param secretString the secret's text
 * @param source where the text came from, for messages (the secret ARN)
 * @throws SigningSecretUnavailableError when the text is empty, or a value lacks the prefix, is not base64 or
 *   decodes to fewer than MIN_SECRET_BYTES bytes
 */
export function parseSigningSecrets(secretString: string, source: string): Webhook[] {
  const values = secretString.split(/\s+/).filter((v) => v !== '');
  if (values.length === 0) {
    throw new SigningSecretUnavailableError(`Signing secret ${source} is empty; it must hold one or more ${SECRET_PREFIX}<base64> values`);
  }
  return values.map((value, index) => {
    const position = `value ${index + 1} of ${values.length} in signing secret ${source}`;
    if (!value.startsWith(SECRET_PREFIX)) {
      throw new SigningSecretUnavailableError(`The ${position} does not start with ${SECRET_PREFIX}`);
    }
    let webhook: Webhook;
    try {
      webhook = new Webhook(value);
    } catch {
      // The library's message is about the text; the text is the secret, so only the position is reported.
      throw new SigningSecretUnavailableError(`The ${position} is not valid base64 after ${SECRET_PREFIX}`);
    }
    // The library has validated the base64, so Buffer's lenient decoder yields the same bytes it holds.
    const keyBytes = Buffer.from(value.slice(SECRET_PREFIX.length), 'base64').length;
    if (keyBytes < MIN_SECRET_BYTES) {
      throw new SigningSecretUnavailableError(`The ${position} decodes to ${keyBytes} bytes; at least ${MIN_SECRET_BYTES} are required`);
    }
    return webhook;
  });
}

/**
 * The signature headers for one POST. With several signers (rotation) the signature header lists one `v1,<sig>`
 * per signer, space-separated, so receivers holding either secret can verify.
 *
 * @param timestampSeconds Unix seconds of this attempt
 */
export function webhookSignatureHeaders(id: string, timestampSeconds: number, body: string, signers: readonly Webhook[]): WebhookSignatureHeaders {
  const timestamp = new Date(timestampSeconds * 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signers.map((signer) => signer.sign(id, timestamp, body)).join(' '),
  };
}
