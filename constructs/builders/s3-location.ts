/**
 * Parsing of Athena output locations (`s3://bucket/prefix/`). Literal values only: a Terraform token is split with
 * Terraform functions by the construct, never by string operations here.
 */

/** An output location split into bucket and key prefix. */
export interface S3Location {
  /** The bucket name. */
  readonly bucket: string;
  /** The key prefix, '' for the bucket root, otherwise ending in '/'. */
  readonly prefix: string;
}

/**
 * The Terraform/RE2 and JS regular expression for an output location: `s3://` + a bucket name + an optional prefix,
 * ending in `/` so that Athena's `<prefix><QueryExecutionId>.csv` keys stay inside the prefix the IAM policies grant.
 * `*`, `?` and `$` are refused: IAM reads them as wildcards or policy variables in the resource ARNs built from it.
 * Bucket rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
 */
export const OUTPUT_LOCATION_PATTERN = '^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/([^*?$]*/)?$';

const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** Why a literal bucket name is invalid, or undefined when it is valid. */
export function bucketNameProblem(bucket: string): string | undefined {
  if (!BUCKET_PATTERN.test(bucket)) {
    return 'be 3-63 characters of lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit';
  }
  if (bucket.includes('..')) return 'not contain two adjacent dots';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(bucket)) return 'not be formatted as an IP address';
  return undefined;
}

/** Splits a literal output location, or returns undefined when it does not match {@link OUTPUT_LOCATION_PATTERN}. */
export function parseOutputLocation(location: string): S3Location | undefined {
  const match = new RegExp(OUTPUT_LOCATION_PATTERN).exec(location);
  if (!match) return undefined;
  return { bucket: match[1], prefix: match[2] ?? '' };
}
