/**
 * Lazy loading of `@cdktf/provider-archive`, an optional peer dependency used only by the `archive-provider`
 * packaging. Internal: not exported from the package, so the published types never name the optional package.
 */
import { MissingPeerDependencyError } from './callbacker-bundle';

/** The classes of `@cdktf/provider-archive` the archive-provider packaging uses. */
export interface ArchiveProviderModule {
  readonly DataArchiveFile: typeof import('@cdktf/provider-archive/lib/data-archive-file').DataArchiveFile;
  readonly ArchiveProvider: typeof import('@cdktf/provider-archive/lib/provider').ArchiveProvider;
}

/**
 * Loads `@cdktf/provider-archive` on first use only, so consumers of the default packaging need not install it.
 *
 * @param load the module loader (Node's `require`; tests pass one that fails)
 * @throws MissingPeerDependencyError when the package cannot be found
 */
export function loadArchiveProvider(id: string, load: (name: string) => unknown = require): ArchiveProviderModule {
  try {
    const { DataArchiveFile } = load('@cdktf/provider-archive/lib/data-archive-file') as Pick<ArchiveProviderModule, 'DataArchiveFile'>;
    const { ArchiveProvider } = load('@cdktf/provider-archive/lib/provider') as Pick<ArchiveProviderModule, 'ArchiveProvider'>;
    return { DataArchiveFile, ArchiveProvider };
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes('@cdktf/provider-archive')) throw new MissingPeerDependencyError(id, error);
    throw error;
  }
}

