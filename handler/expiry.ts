/**
 * The pure rules behind truthful presigned-URL expiry: how long a presigner role session to ask for, how long a URL
 * signed with given credentials really lives, and when a cached session may sign again.
 */

/** Credentials to sign with; `expiration` is absent for long-lived keys. */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** A role session's credentials: STS always gives a session token and an expiration. */
export interface SessionCredentials extends SigningCredentials {
  readonly sessionToken: string;
  readonly expiration: Date;
}

/** STS AssumeRole accepts 900 to 43200 seconds. https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html */
export const MIN_ROLE_SESSION_SECONDS = 900;
export const MAX_ROLE_SESSION_SECONDS = 43_200;

/**
 * Sessions obtained by role chaining (a Lambda function's role assuming another role) last at most one hour, and
 * AssumeRole rejects a longer DurationSeconds with ValidationError.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining
 */
export const ROLE_CHAINING_MAX_SECONDS = 3600;

/** Margin asked on top of the requested expiry, so a fresh session outlives the URL signed with it. */
export const SESSION_MARGIN_SECONDS = 300;

/**
 * How much shorter than a fresh session's URL a cached session's URL may be. STS gives expirations in whole seconds
 * and a session's lifetime is measured from before the AssumeRole call, so a fresh session itself can come out up to
 * a second short; anything more is a URL shorter than it needs to be.
 */
export const FRESH_SESSION_TOLERANCE_SECONDS = 1;

/** The RoleSessionName, visible in CloudTrail. Pattern `[\w+=,.@-]*`, 2 to 64 characters. */
export const ROLE_SESSION_NAME = 'cdktf-async-athena-query-presigner';

/** The DurationSeconds to ask for: the requested expiry plus a margin, within what AssumeRole accepts. */
export function roleSessionSeconds(requestedSeconds: number): number {
  return Math.min(MAX_ROLE_SESSION_SECONDS, Math.max(MIN_ROLE_SESSION_SECONDS, requestedSeconds + SESSION_MARGIN_SECONDS));
}

/** `min(requested, whole seconds until the credentials expire)`; credentials without an expiration never limit it. */
export function truthfulExpirySeconds(requestedSeconds: number, expiration: Date | undefined, now: number): number {
  if (expiration === undefined) return requestedSeconds;
  return Math.min(requestedSeconds, Math.floor((expiration.getTime() - now) / 1000));
}

/** A presigner role session and how long it lived when issued. */
export interface RoleSession {
  readonly roleArn: string;
  readonly credentials: SessionCredentials;
  /** Lifetime at issue, in seconds, counted from before the AssumeRole call: what a fresh session gives. */
  readonly grantedSeconds: number;
}

/**
 * Whether a cached session may sign the next URL: only while the URL it can sign is as long as the URL a fresh
 * session would give, `min(requested, grantedSeconds)`, within FRESH_SESSION_TOLERANCE_SECONDS. So a warm function
 * never hands out a 10-minute URL when a 1-hour one is possible; a session that outlives the request by a margin
 * (requested 600 s, granted 900 s) is reused for as long as that margin lasts.
 */
export function canReuseSession(session: RoleSession, roleArn: string, requestedSeconds: number, now: number): boolean {
  if (session.roleArn !== roleArn) return false;
  const cached = truthfulExpirySeconds(requestedSeconds, session.credentials.expiration, now);
  const fresh = Math.min(requestedSeconds, session.grantedSeconds);
  return cached >= fresh - FRESH_SESSION_TOLERANCE_SECONDS;
}
