/**
 * Lazy loading of `@cdktf/provider-archive`, an optional peer dependency used only by the `archive-provider`
 * packaging. Internal: not exported from the package, so the published types never name the optional package.
 */
import { installedPackage, MissingPeerDependencyError } from './callbacker-bundle';
import { archiveProviderPackage } from './flavours';

/** The classes of `@cdktf/provider-archive` the archive-provider packaging uses. */
export interface ArchiveProviderModule {
  readonly DataArchiveFile: typeof import('@cdktf/provider-archive/lib/data-archive-file').DataArchiveFile;
  readonly ArchiveProvider: typeof import('@cdktf/provider-archive/lib/provider').ArchiveProvider;
}

/**
 * Loads the archive provider's classes. Plain `require` calls with literal names, so the CDK Terrain build rewrites
 * them like every other import.
 */
function requireArchiveProvider(): ArchiveProviderModule {
  const { DataArchiveFile } = require('@cdktf/provider-archive/lib/data-archive-file') as Pick<ArchiveProviderModule, 'DataArchiveFile'>;
  const { ArchiveProvider } = require('@cdktf/provider-archive/lib/provider') as Pick<ArchiveProviderModule, 'ArchiveProvider'>;
  return { DataArchiveFile, ArchiveProvider };
}

/**
 * Loads the archive provider package on first use only, so consumers of the default packaging need not install it.
 *
 * @param load loads the classes (tests pass one that fails)
 * @throws MissingPeerDependencyError when the package cannot be found, naming it and the range package.json gives
 */
export function loadArchiveProvider(id: string, load: () => ArchiveProviderModule = requireArchiveProvider): ArchiveProviderModule {
  try {
    return load();
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const { flavour, peerDependencies } = installedPackage();
    const peer = archiveProviderPackage(flavour);
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes(peer)) throw new MissingPeerDependencyError(id, peer, peerDependencies[peer] ?? 'any version', error);
    throw error;
  }
}
