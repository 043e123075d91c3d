/**
 * The two packages built from this one source tree. The CDKTF package is these sources compiled; the CDK Terrain
 * package is the same compiled output with every import of `cdktf` and `@cdktf/*` rewritten to `cdktn` and
 * `@cdktn/*` (scripts/cdktn-flavour.ts, run by `npm run build`). Nothing else differs: the constructs, the
 * synthesized Terraform and the prebuilt callbacker are the same.
 *
 * CDK Terrain is the community successor of CDKTF (archived by HashiCorp on 2025-12-10): https://cdktn.io
 */

/** One published flavour of the package. */
export interface Flavour {
  /** The npm package name. */
  readonly packageName: string;
  /** The CDK framework package the constructs are built on (`cdktf`, `cdktn`). */
  readonly framework: string;
  /** The npm scope of the framework's prebuilt providers (`@cdktf`, `@cdktn`). */
  readonly providerScope: string;
}

/** Both flavours, by framework. */
export const FLAVOURS = {
  cdktf: { packageName: 'cdktf-async-athena-query', framework: 'cdktf', providerScope: '@cdktf' },
  cdktn: { packageName: 'cdktn-async-athena-query', framework: 'cdktn', providerScope: '@cdktn' },
} as const satisfies Record<string, Flavour>;

/** The name of a flavour: its framework. */
export type FlavourName = keyof typeof FLAVOURS;

/** The flavour an npm package name belongs to, if any. */
export function flavourOfPackage(packageName: string | undefined): Flavour | undefined {
  return Object.values(FLAVOURS).find((flavour) => flavour.packageName === packageName);
}

/** The name of the optional archive-provider peer dependency of a flavour: `provider-archive` in its scope. */
export function archiveProviderPackage(flavour: Flavour): string {
  return `${flavour.providerScope}/provider-archive`;
}
