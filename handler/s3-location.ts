/** Parsing of Athena's result OutputLocation, `s3://bucket/key`. */
import { ResultLocationError } from './errors';
import { describeValue } from './json';

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html (general purpose buckets) */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html (at most 1024 bytes of UTF-8) */
const MAX_KEY_BYTES = 1024;

/**
 * Splits `s3://bucket/key` into bucket and key. The key is everything after the first `/` that follows the bucket,
 * taken verbatim: Athena's OutputLocation is not URL-encoded, so spaces, `+`, `=`, `%` and unicode are literal.
 */
export function parseS3Location(location: unknown): S3Location {
  if (typeof location !== 'string' || location === '') {
    throw new ResultLocationError(
      `QueryExecution.ResultConfiguration.OutputLocation must be an s3://bucket/key string, got ${describeValue(location)}`,
    );
  }
  const scheme = 's3://';
  if (!location.startsWith(scheme)) {
    throw new ResultLocationError(`OutputLocation must start with s3://, got ${describeValue(location)}`);
  }
  const rest = location.slice(scheme.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  if (!BUCKET_NAME.test(bucket) || bucket.includes('..')) {
    throw new ResultLocationError(`OutputLocation bucket must be a valid S3 bucket name, got ${describeValue(bucket)} in ${describeValue(location)}`);
  }
  if (key === '' || key.endsWith('/')) {
    throw new ResultLocationError(`OutputLocation must name an object, not a bucket or prefix, got ${describeValue(location)}`);
  }
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) {
    throw new ResultLocationError(`OutputLocation key must be at most ${MAX_KEY_BYTES} bytes of UTF-8, got ${describeValue(location)}`);
  }
  return { bucket, key };
}
