/**
 * How the callbacker's deployment package reaches Lambda. A plain list, so validation can check the prop of
 * JavaScript users (TypeScript users get the union type).
 */

/**
 * - `prebuilt-zip`: the zip this package ships (built by `npm run build`) is copied into the synthesized stack and
 *   uploaded as is; Terraform hashes the file with `filebase64sha256`. Nothing is written at plan time.
 * - `archive-provider`: the shipped bundle is copied into the stack and the `archive` provider zips it during
 *   `terraform plan` (`data "archive_file"`); needs `@cdktf/provider-archive`, and plan and apply in one working
 *   directory.
 */
export const CALLBACKER_PACKAGINGS = ['prebuilt-zip', 'archive-provider'] as const;

/** One of {@link CALLBACKER_PACKAGINGS}. */
export type CallbackerPackaging = (typeof CALLBACKER_PACKAGINGS)[number];

/** The default: the prebuilt zip, which needs no provider and survives a plan/apply split. */
export const DEFAULT_CALLBACKER_PACKAGING: CallbackerPackaging = 'prebuilt-zip';
