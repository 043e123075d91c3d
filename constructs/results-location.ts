import { Fn, Token } from 'cdktf';
import type { ResultsLocation } from './builders/iam-policies';
import { parseOutputLocation } from './builders/s3-location';

/**
 * Terraform (RE2) pattern splitting `s3://bucket/prefix/` into bucket and prefix. Both groups always participate, so
 * `regex()` returns a two-element list even for a bucket-root location (prefix `""`).
 * https://developer.hashicorp.com/terraform/language/functions/regex
 */
export const OUTPUT_LOCATION_SPLIT_PATTERN = '^s3://([^/]+)/(.*)$';

/**
 * Splits an output location into bucket and prefix. A literal is split here; a Terraform token (a variable) is split
 * by Terraform's `regex()` at plan time, never by string operations on the token's placeholder.
 */
export function splitOutputLocation(outputLocation: string): ResultsLocation {
  if (!Token.isUnresolved(outputLocation)) {
    const parsed = parseOutputLocation(outputLocation);
    if (parsed) return parsed;
  }
  const parts = Fn.regex(OUTPUT_LOCATION_SPLIT_PATTERN, outputLocation);
  return { bucket: Token.asString(Fn.element(parts, 0)), prefix: Token.asString(Fn.element(parts, 1)) };
}
