/**
 * AWS's token-bucket throttles, replayed over measured call times: how many of the calls a quota of `bucketSize`
 * tokens refilled at `refillPerSecond` would have refused. Pure.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (the scheme Step Functions, API Gateway
 * and Athena describe for their rate quotas)
 */

/** A token-bucket quota. */
export interface TokenBucketQuota {
  /** Tokens the bucket holds when full: the burst. */
  readonly bucketSize: number;
  /** Tokens added per second, up to the bucket size: the sustained rate. */
  readonly refillPerSecond: number;
}

/**
 * Replays calls (epoch milliseconds, any order) through a bucket that starts full; a call takes a token or is
 * refused. Refused calls are only counted: whoever made them would retry, which this replay does not model.
 */
export function refusedByBucket(callTimesMs: readonly number[], quota: TokenBucketQuota): number {
  const times = [...callTimesMs].sort((a, b) => a - b);
  let tokens = quota.bucketSize;
  let last = times[0] ?? 0;
  let refused = 0;
  for (const time of times) {
    tokens = Math.min(quota.bucketSize, tokens + ((time - last) / 1000) * quota.refillPerSecond);
    last = time;
    if (tokens >= 1) tokens -= 1;
    else refused += 1;
  }
  return refused;
}

/** The most calls in any window of `windowMs` (sliding, closed on the left): the peak rate the calls asked for. */
export function peakInWindow(callTimesMs: readonly number[], windowMs = 1000): number {
  const times = [...callTimesMs].sort((a, b) => a - b);
  let peak = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end] - times[start] >= windowMs) start += 1;
    peak = Math.max(peak, end - start + 1);
  }
  return peak;
}
