/**
 * AWS SDK clients, built once per Lambda sandbox and reused across invocations. Region and endpoints come from the
 * environment (AWS_REGION; AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_STS and AWS_ENDPOINT_URL_SECRETS_MANAGER are read
 * by the SDK itself: https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
 */
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';

/** Static credentials to sign with; `expiration` is absent for long-lived keys. */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/**
 * S3 client options for presigning. With the defaults ('WHEN_SUPPORTED') the SDK puts checksum parameters into
 * GetObject URLs (`x-amz-checksum-mode=ENABLED`, even `x-amz-checksum-crc32` of the empty request body); the
 * downloader is a plain HTTP client that would not validate them, so only required checksums are used.
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-dataintegrity.html
 */
const S3_OPTIONS: S3ClientConfig = { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' };

/** Signs with the function's own credentials (the default provider chain). */
export const s3 = new S3Client(S3_OPTIONS);

export const sts = new STSClient({});

export const secretsManager = new SecretsManagerClient({});

/** An S3 client that signs with exactly the given credentials, e.g. an assumed presigner role's session. */
export function s3ClientWithCredentials(credentials: SigningCredentials): S3Client {
  return new S3Client({ ...S3_OPTIONS, credentials });
}
