/**
 * The callbacker Lambda: invoked by the state machine after the Athena query ends, it presigns the result CSV (for
 * SUCCEEDED queries) and POSTs the outcome to the caller's CallbackUrl, signed with Standard Webhooks headers.
 *
 * Failures are thrown as named errors (errors.ts) so the state machine can retry the transient ones and catch the
 * final ones. No error leaves with the CallbackUrl's query, user info or fragment in it (redact.ts), and every error
 * leaves as bounded printable ASCII (errors.ts): its message becomes the Step Functions Cause, the dead-letter
 * record's LastError and the runtime's error log line.
 */
import { deliver } from './deliver';
import { withBoundedErrors } from './errors';
import { type CallbackerConfig, loadConfig } from './env';
import { normaliseOutcome } from './outcome';
import { buildCallbackPayload, type PresignedResult } from './payload';
import { presignResult } from './presign';
import { redactUrl, scrubError, secretPiecesOf } from './redact';
import { parseDeliveryRequest } from './request';
import { parseS3Location } from './s3-location';
import { getSigners } from './secrets';
import { checkCallbackUrl } from './ssrf';
import { webhookIdFor, webhookSignatureHeaders } from './signing';
import type { DeliveryRequest, DeliveryResult } from './types';

/** Set by the bundler (constructs/callbacker-bundle.ts) to `<package>/<version>`; absent when run from source. */
declare const __CALLBACKER_USER_AGENT__: string | undefined;

const USER_AGENT = typeof __CALLBACKER_USER_AGENT__ === 'string' ? __CALLBACKER_USER_AGENT__ : 'cdktf-async-athena-query';

/** Read on the first invocation rather than at import, so a bad variable fails as a named, catchable error. */
let config: CallbackerConfig | undefined;

// Secrets are scrubbed first, while the text is whole; withBoundedErrors then makes any other error bounded ASCII.
export const handler = withBoundedErrors(async (event: DeliveryRequest): Promise<DeliveryResult> => {
  try {
    return await deliverEvent(event);
  } catch (error) {
    const callbackUrl: unknown = (event as Partial<DeliveryRequest> | null)?.CallbackUrl;
    throw scrubError(error, typeof callbackUrl === 'string' ? secretPiecesOf(callbackUrl) : []);
  }
});

async function deliverEvent(event: DeliveryRequest): Promise<DeliveryResult> {
  config ??= loadConfig(process.env);
  const request = parseDeliveryRequest(event);
  const outcome = normaliseOutcome(request.queryOutcome, request.executionStartTime, Date.now());
  // Refuse a bad URL before spending an STS call or a presign on it; deliver() checks it again with DNS.
  checkCallbackUrl(request.callbackUrl, config.callbackPolicy);

  let presigned: PresignedResult | undefined;
  if (outcome.state === 'SUCCEEDED') {
    presigned = await presignResult(parseS3Location(outcome.outputLocation), config.presignExpirySeconds, config.presignerRoleArn);
  }
  const body = JSON.stringify(buildCallbackPayload(outcome, request.executionArn, presigned));
  const webhookId = webhookIdFor(request.executionArn);
  const signers = config.signing.enabled ? await getSigners(config.signing.secretArn) : undefined;

  const delivered = await deliver(
    {
      url: request.callbackUrl,
      body,
      headers: () => ({
        'Content-Type': 'application/json',
        'User-Agent': USER_AGENT,
        ...(signers !== undefined && webhookSignatureHeaders(webhookId, Math.floor(Date.now() / 1000), body, signers)),
        // Without signing the id still lets receivers deduplicate retries.
        ...(signers === undefined && { 'webhook-id': webhookId }),
      }),
    },
    {
      policy: config.callbackPolicy,
      connectTimeoutMs: config.connectTimeoutMs,
      totalTimeoutMs: config.totalTimeoutMs,
      retryAfterCapSeconds: config.retryAfterCapSeconds,
    },
  );

  // One line per delivery; the presigned URL and the secret are bearer credentials and are never logged.
  console.log(
    JSON.stringify({
      message: 'callback delivered',
      webhookId,
      executionArn: request.executionArn,
      callback: redactUrl(new URL(request.callbackUrl)),
      state: outcome.state,
      statusCode: delivered.statusCode,
      ...(presigned !== undefined && { expiredIn: presigned.expiredIn }),
    }),
  );
  return {
    StatusCode: delivered.statusCode,
    WebhookId: webhookId,
    State: outcome.state,
    ...(presigned !== undefined && { ExpiredIn: presigned.expiredIn }),
  };
}
