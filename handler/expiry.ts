/**
 * The pure rules behind truthful presigned-URL expiry: how long a presigner role session to ask for, how long a URL
 * signed with given credentials really lives, and when a cached session may sign again.
 */
import type { SigningCredentials } from './aws/credentials';

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

/** Cached sessions are not reused below this remaining lifetime. */
export const MIN_REUSE_SECONDS = 300;

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
  readonly credentials: SigningCredentials & { readonly expiration: Date };
  /** Lifetime at issue, in seconds: what the role can give at most. */
  readonly grantedSeconds: number;
}

/**
 * Whether a cached session may sign another URL: while it can still cover the requested expiry, or, when the role
 * cannot give that much even fresh, while more than MIN_REUSE_SECONDS remain.
 */
export function canReuseSession(session: RoleSession, roleArn: string, requestedSeconds: number, now: number): boolean {
  if (session.roleArn !== roleArn) return false;
  const remaining = (session.credentials.expiration.getTime() - now) / 1000;
  return session.grantedSeconds >= requestedSeconds ? remaining >= requestedSeconds : remaining > MIN_REUSE_SECONDS;
}
