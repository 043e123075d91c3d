/** Tags given to every taggable resource, merged with the `ManagedBy` tag that marks what created them. */
export function resourceTags(tags: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return { ManagedBy: 'cdktf-async-athena-query', ...(tags ?? {}) };
}
