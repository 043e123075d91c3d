/**
 * Presigns the result CSV and reports how long the URL truly stays valid.
 *
 * A presigned URL dies when the credentials that signed it expire, even if its X-Amz-Expires is later
 * (https://repost.aws/knowledge-center/presigned-url-s3-bucket-expiration). So the URL is signed for
 * `min(requested, remaining credential lifetime)` and that same number is reported as ExpiredIn.
 */
import { environmentCredentials, type SigningCredentials } from './aws/credentials';
import { presignGetObject } from './aws/s3';
import { assumeRole as stsAssumeRole } from './aws/sts';
import { PresignFailedError } from './errors';
import { canReuseSession, ROLE_CHAINING_MAX_SECONDS, ROLE_SESSION_NAME, type RoleSession, roleSessionSeconds, truthfulExpirySeconds } from './expiry';
import type { PresignedResult } from './payload';
import type { S3Location } from './s3-location';

/** The presigner role's session, kept for the sandbox's lifetime and reused while canReuseSession allows. */
let roleSession: RoleSession | undefined;

/** Set once STS has refused a longer session: later refreshes ask for one hour straight away. */
let sessionCapSeconds: number | undefined;

async function assumeRole(roleArn: string, durationSeconds: number): Promise<RoleSession> {
  const requestedAt = Date.now();
  const credentials = await stsAssumeRole(
    { roleArn, roleSessionName: ROLE_SESSION_NAME, durationSeconds },
    environmentCredentials(process.env),
    process.env,
  );
  return { roleArn, credentials, grantedSeconds: Math.floor((credentials.expiration.getTime() - requestedAt) / 1000) };
}

/** The presigner role's credentials: the cached session when it may be reused, else a fresh one. */
async function roleCredentials(roleArn: string, requestedSeconds: number): Promise<SigningCredentials> {
  if (roleSession === undefined || !canReuseSession(roleSession, roleArn, requestedSeconds, Date.now())) {
    const duration = Math.min(roleSessionSeconds(requestedSeconds), sessionCapSeconds ?? Number.POSITIVE_INFINITY);
    let session: RoleSession;
    try {
      session = await assumeRole(roleArn, duration);
    } catch (error) {
      if (!(error instanceof Error && error.name === 'ValidationError' && duration > ROLE_CHAINING_MAX_SECONDS)) {
        throw new PresignFailedError(`sts:AssumeRole of ${roleArn} for ${duration} s failed: ${describeError(error)}`, { cause: error });
      }
      // Role chaining (or the role's MaxSessionDuration) caps the session at one hour; ask again for what is allowed,
      // and report the shorter expiry.
      try {
        session = await assumeRole(roleArn, ROLE_CHAINING_MAX_SECONDS);
        sessionCapSeconds = ROLE_CHAINING_MAX_SECONDS;
      } catch (retryError) {
        throw new PresignFailedError(
          `sts:AssumeRole of ${roleArn} failed for ${duration} s and for ${ROLE_CHAINING_MAX_SECONDS} s: ${describeError(retryError)}`,
          { cause: retryError },
        );
      }
    }
    roleSession = session;
  }
  return roleSession.credentials;
}

/** The function's own credentials, with their expiration (undefined for long-lived keys). */
function defaultCredentials(): SigningCredentials {
  try {
    return environmentCredentials(process.env);
  } catch (error) {
    throw new PresignFailedError(`Resolving the function's AWS credentials failed: ${describeError(error)}`, { cause: error });
  }
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Presigns a GetObject of the result for the truthful expiry.
 *
 * @param location the result object
 * @param requestedSeconds PRESIGN_EXPIRY_SECONDS
 * @param roleArn PRESIGNER_ROLE_ARN, or undefined to sign with the function's own credentials
 */
export async function presignResult(location: S3Location, requestedSeconds: number, roleArn: string | undefined): Promise<PresignedResult> {
  const credentials = roleArn === undefined ? defaultCredentials() : await roleCredentials(roleArn, requestedSeconds);
  // Sign at the same instant the expiry is computed from, so signing time + ExpiredIn never passes the expiration.
  const now = Date.now();
  const expiredIn = truthfulExpirySeconds(requestedSeconds, credentials.expiration, now);
  if (expiredIn < 1) {
    throw new PresignFailedError(`The signing credentials expire in ${expiredIn} s, too soon to presign s3://${location.bucket}/${location.key}`);
  }
  try {
    return { url: presignGetObject(location, credentials, process.env, expiredIn, new Date(now)), expiredIn };
  } catch (error) {
    throw new PresignFailedError(`Presigning s3://${location.bucket}/${location.key} failed: ${describeError(error)}`, { cause: error });
  }
}
