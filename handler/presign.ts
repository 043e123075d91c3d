/**
 * Presigns the result CSV and reports how long the URL truly stays valid.
 *
 * A presigned URL dies when the credentials that signed it expire, even if its X-Amz-Expires is later
 * (https://repost.aws/knowledge-center/presigned-url-s3-bucket-expiration). So the URL is signed for
 * `min(requested, remaining credential lifetime)` and that same number is reported as ExpiredIn.
 */
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3, s3ClientWithCredentials, sts } from './clients';
import { PresignFailedError } from './errors';
import { canReuseSession, ROLE_CHAINING_MAX_SECONDS, ROLE_SESSION_NAME, type RoleSession, roleSessionSeconds, truthfulExpirySeconds } from './expiry';
import type { PresignedResult } from './payload';
import type { S3Location } from './s3-location';

let roleSession: { readonly session: RoleSession; readonly client: S3Client } | undefined;

/** Set once STS has refused a longer session: later refreshes ask for one hour straight away. */
let sessionCapSeconds: number | undefined;

async function assumeRole(roleArn: string, durationSeconds: number): Promise<RoleSession> {
  const requestedAt = Date.now();
  const { Credentials } = await sts.send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: ROLE_SESSION_NAME, DurationSeconds: durationSeconds }),
  );
  if (!Credentials?.AccessKeyId || !Credentials.SecretAccessKey || !Credentials.Expiration) {
    throw new Error('the AssumeRole response carries no complete Credentials');
  }
  return {
    roleArn,
    credentials: {
      accessKeyId: Credentials.AccessKeyId,
      secretAccessKey: Credentials.SecretAccessKey,
      sessionToken: Credentials.SessionToken,
      expiration: Credentials.Expiration,
    },
    grantedSeconds: Math.floor((Credentials.Expiration.getTime() - requestedAt) / 1000),
  };
}

/** A signing client for the presigner role: the cached one when it may be reused, else a fresh session. */
async function roleClient(roleArn: string, requestedSeconds: number): Promise<{ client: S3Client; expiration: Date }> {
  if (roleSession === undefined || !canReuseSession(roleSession.session, roleArn, requestedSeconds, Date.now())) {
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
    roleSession = { session, client: s3ClientWithCredentials(session.credentials) };
  }
  return { client: roleSession.client, expiration: roleSession.session.credentials.expiration };
}

/** The default client and the expiration of the credentials it will sign with (undefined for long-lived keys). */
async function defaultClient(): Promise<{ client: S3Client; expiration: Date | undefined }> {
  try {
    // The client memoizes its identity, so the presign below signs with these same credentials.
    const identity = await s3.config.credentials();
    return { client: s3, expiration: identity.expiration };
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
  const { client, expiration } = roleArn === undefined ? await defaultClient() : await roleClient(roleArn, requestedSeconds);
  // Sign at the same instant the expiry is computed from, so signing time + ExpiredIn never passes the expiration.
  const now = Date.now();
  const expiredIn = truthfulExpirySeconds(requestedSeconds, expiration, now);
  if (expiredIn < 1) {
    throw new PresignFailedError(`The signing credentials expire in ${expiredIn} s, too soon to presign s3://${location.bucket}/${location.key}`);
  }
  try {
    const url = await getSignedUrl(client, new GetObjectCommand({ Bucket: location.bucket, Key: location.key }), {
      expiresIn: expiredIn,
      signingDate: new Date(now),
    });
    return { url, expiredIn };
  } catch (error) {
    throw new PresignFailedError(`Presigning s3://${location.bucket}/${location.key} failed: ${describeError(error)}`, { cause: error });
  }
}
