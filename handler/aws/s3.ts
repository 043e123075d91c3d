/**
 * Presigned S3 GetObject URLs, signed as @aws-sdk/s3-request-presigner signs them (query SigV4, Host the only
 * signed header, unsigned payload), without its checksum parameters (`x-amz-checksum-mode`): the downloader is a
 * plain HTTP client that would not check them.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
 */
import type { Environment } from '../env';
import type { SigningCredentials } from './credentials';
import { regionOf, s3ObjectAddress } from './endpoints';
import { presignQuery } from './sigv4';

/** The object to presign. */
export interface S3Object {
  readonly bucket: string;
  readonly key: string;
}

/**
 * A GET URL for the object, valid for `expiresIn` seconds from `signingDate`.
 *
 * @throws EndpointConfigurationError when AWS_REGION or AWS_ENDPOINT_URL_S3 is unusable
 */
export function presignGetObject(object: S3Object, credentials: SigningCredentials, env: Environment, expiresIn: number, signingDate: Date): string {
  const region = regionOf(env);
  const address = s3ObjectAddress(env, region, object.bucket, object.key);
  const query = presignQuery({ method: 'GET', host: address.host, path: address.path }, credentials, { region, service: 's3' }, signingDate, expiresIn);
  return `${address.protocol}//${address.host}${address.path}?${query}`;
}
