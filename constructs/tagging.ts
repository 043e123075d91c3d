import { Fn, Token } from 'cdktf';

/** The tag that marks what created a resource. */
export const MANAGED_BY_TAG = { ManagedBy: 'cdktf-async-athena-query' } as const;

/**
 * Tags given to every taggable resource: the user's, merged over the `ManagedBy` tag. A Terraform map token (a module
 * variable) is merged by Terraform.
 */
export function resourceTags(tags: Readonly<Record<string, string>> | undefined): Record<string, string> {
  if (tags !== undefined && Token.isUnresolved(tags)) return Token.asStringMap(Fn.merge([MANAGED_BY_TAG, tags]));
  return { ...MANAGED_BY_TAG, ...(tags ?? {}) };
}
