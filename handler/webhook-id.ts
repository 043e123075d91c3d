/**
 * The webhook id of a delivery, in a module of its own: the callbacker signs with it, and the query API function
 * reports it in a query's status without loading the signing library.
 */
import { createHash } from 'node:crypto';

/** Prefix of webhook ids, as in the spec's examples (`msg_...`). */
export const WEBHOOK_ID_PREFIX = 'msg_';

/**
 * The delivery's webhook id, derived from the execution ARN so it stays the same across every retry and every
 * redrive of the same execution (receivers deduplicate on it). base64url has no `.`, which the signed content
 * `id.timestamp.body` reserves as its separator.
 */
export function webhookIdFor(executionArn: string): string {
  return `${WEBHOOK_ID_PREFIX}${createHash('sha256').update(executionArn, 'utf8').digest('base64url')}`;
}
