/**
 * Presigns the result CSV with @aws-sdk/s3-request-presigner and reports how long the URL truly stays valid.
 *
 * A presigned URL dies when the credentials that signed it expire, even if its X-Amz-Expires is later
 * (https://repost.aws/knowledge-center/presigned-url-s3-bucket-expiration). So the URL is signed for
 * `min(requested, remaining lifetime of the credentials the client signs with)` and that same number is reported
 * as ExpiredIn.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ownS3Client, presignerS3Client, stsClient, usePresignerCredentials } from './clients';
import { PresignFailedError } from './errors';
import { ROLE_SESSION_NAME, type SigningCredentials, truthfulExpirySeconds } from './expiry';
import { describeError } from './json';
import type { PresignedResult } from './payload';
import { type AssumeRoleFunction, PresignerSessionCache } from './presigner-session';
import type { S3Location } from './s3-location';

/** sts:AssumeRole with the function's own credentials. https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html */
export const assumeRoleWithSts: AssumeRoleFunction = async (roleArn, durationSeconds) => {
  const { Credentials: c } = await stsClient.send(
    new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: ROLE_SESSION_NAME, DurationSeconds: durationSeconds }),
  );
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken || !(c.Expiration instanceof Date) || Number.isNaN(c.Expiration.getTime())) {
    throw new Error('The AssumeRole response carries no complete Credentials');
  }
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken, expiration: c.Expiration };
};

/** The presigner role's session for this sandbox. */
const presignerSessions = new PresignerSessionCache(assumeRoleWithSts);

/**
 * Presigns a GetObject of the result for the truthful expiry.
 *
 * @param location the result object
 * @param requestedSeconds PRESIGN_EXPIRY_SECONDS
 * @param roleArn PRESIGNER_ROLE_ARN, or undefined to sign with the function's own credentials
 * @throws PresignFailedError when no credentials can be had, they expire within a second, or signing fails
 */
export async function presignResult(location: S3Location, requestedSeconds: number, roleArn: string | undefined): Promise<PresignedResult> {
  const client = roleArn === undefined ? ownS3Client() : presignerS3Client;
  if (roleArn !== undefined) await usePresignerCredentials(await presignerSessions.credentialsFor(roleArn, requestedSeconds));
  let credentials: SigningCredentials;
  try {
    // The client's own provider gives exactly the credentials its signer is about to use.
    credentials = await client.config.credentials();
  } catch (error) {
    throw new PresignFailedError(`Resolving the signing credentials failed: ${describeError(error)}`, { cause: error });
  }
  // Sign at the same instant the expiry is computed from, so signing time + ExpiredIn never passes the expiration.
  const now = Date.now();
  const expiredIn = truthfulExpirySeconds(requestedSeconds, credentials.expiration, now);
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
