/**
 * How a shipped function's code reaches Lambda, for both functions of the construct (the callbacker and the query API
 * function): the prebuilt zip copied into the stack and hashed by Terraform (`prebuilt-zip`), or the prebuilt bundle
 * zipped by the `archive` provider at plan time (`archive-provider`). Nothing is bundled at synth.
 */
import * as path from 'node:path';
import { AssetType, Fn, ref, TerraformAsset, type TerraformDataSource, TerraformProvider, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { type ArchiveProviderModule, loadArchiveProvider } from './archive-packaging';
import type { ShippedCallbacker } from './callbacker-bundle';
import type { CallbackerPackaging } from './builders/packaging';

/** Where Lambda gets the code: the function's `filename` and `source_code_hash`. */
export interface DeploymentPackage {
  readonly filename: string;
  readonly sourceCodeHash: string;
  /** The shipped file copied into the synthesized stack: the zip, or the bundle the archive provider zips. */
  readonly asset: TerraformAsset;
  /** The `archive_file` data source that zips the bundle at plan time; only with packaging `archive-provider`. */
  readonly archive?: TerraformDataSource;
}

/**
 * Makes the deployment package of a shipped function in `scope`.
 *
 * @param id the construct id, for error messages
 * @param archiveStem the stem of the zip the archive provider writes (one file per instance and function)
 * @throws MissingPeerDependencyError with packaging `archive-provider` when `@cdktf/provider-archive` is not installed
 */
export function deploymentPackage(scope: Construct, id: string, shipped: ShippedCallbacker, packaging: CallbackerPackaging, archiveStem: string): DeploymentPackage {
  if (packaging === 'prebuilt-zip') {
    const asset = new TerraformAsset(scope, 'Package', { path: shipped.zipFile, type: AssetType.FILE });
    // Relative to the module, so cdk.tf.json holds no path of the synthesizing machine and works as a module.
    const filename = `${ref('path.module')}/${asset.path}`;
    // Terraform hashes the file itself, so the hash always matches what is uploaded.
    return { filename, sourceCodeHash: Fn.filebase64sha256(filename), asset };
  }
  const archive = loadArchiveProvider(id);
  ensureArchiveProvider(TerraformStack.of(scope), archive.ArchiveProvider);
  const asset = new TerraformAsset(scope, 'Bundle', { path: shipped.bundleFile, type: AssetType.FILE });
  const data = new archive.DataArchiveFile(scope, 'Archive', {
    type: 'zip',
    sourceFile: `${ref('path.module')}/${asset.path}`,
    // Written during plan: one file per instance (the name prefix is unique per deployment), next to the bundle.
    outputPath: `${ref('path.module')}/${path.posix.dirname(asset.path)}/${archiveStem}.zip`,
    // The provider copies the file's mode into the zip; pinning it keeps the zip identical across machines.
    outputFileMode: '0644',
  });
  return { filename: data.outputPath, sourceCodeHash: data.outputBase64Sha256, asset, archive: data };
}

/**
 * The archive data source needs the `archive` provider. Stacks that already configure one keep theirs; others get a
 * default one, so consumers do not have to know which providers this construct uses. Configure your own before
 * creating the construct if you need non-default settings. Matched by Terraform provider type, not class, so a
 * provider made by another copy of the provider package counts too.
 */
function ensureArchiveProvider(stack: TerraformStack, provider: ArchiveProviderModule['ArchiveProvider']): void {
  const existing = stack.node.findAll().some((c) => c instanceof TerraformProvider && c.terraformResourceType === 'archive');
  if (!existing) new provider(stack, 'ArchiveProviderForAsyncAthenaQuery');
}
