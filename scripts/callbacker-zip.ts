/**
 * The callbacker's deployment package: a zip holding the bundle alone, as `index.js`, made byte for byte the same on
 * every machine. fflate deflates in JavaScript, so the bytes depend on its (exact-pinned) version only, not on the
 * Node or zlib version; the entry has a fixed timestamp, mode 0644 and Unix as its origin, and nothing else varies.
 * Used by the build (scripts/build-callbacker.ts) and, to read the package back, by the twin and the tests.
 * https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT (4.4.2 version made by, 4.4.6 date and time, 4.4.15 external attributes)
 */
import { unzipSync, zipSync } from 'fflate';

/** The name of the single entry; Lambda's handler `index.handler` loads it. */
export const ZIP_ENTRY = 'index.js';

/**
 * The entry's timestamp. Zip stores a local date and time without a zone, and fflate reads the Date's local fields, so
 * the Date is built from local fields too: the stored value is 1980-01-01 00:00:00 in every time zone. 1980 is the
 * earliest year a zip can hold.
 */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/** `version made by` high byte 3: Unix, so unzip tools honour the mode below. */
const UNIX = 3;

/** External attributes: a regular file (0o100000) with mode 0644, in the high 16 bits. */
const REGULAR_FILE_0644 = (0o100644 << 16) >>> 0;

/** Zips the bundle deterministically: same bundle bytes, same zip bytes. */
export function zipBundle(bundle: Uint8Array): Uint8Array {
  return zipSync({ [ZIP_ENTRY]: [bundle, { level: 9, mtime: FIXED_MTIME, os: UNIX, attrs: REGULAR_FILE_0644 }] });
}

/** Malformed deployment package: not a zip, or not exactly one `index.js` entry. */
export class InvalidCallbackerZipError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidCallbackerZipError';
  }
}

/**
 * Reads the bundle back out of a deployment package, checking it holds `index.js` and nothing else.
 *
 * @throws InvalidCallbackerZipError when the bytes are not such a zip
 */
export function unzipBundle(zip: Uint8Array): Uint8Array {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(zip);
  } catch (error) {
    throw new InvalidCallbackerZipError(`The callbacker package is not a readable zip: ${(error as Error).message}`);
  }
  const names = Object.keys(entries);
  if (names.length !== 1 || names[0] !== ZIP_ENTRY) {
    throw new InvalidCallbackerZipError(`The callbacker package must hold exactly one entry, ${ZIP_ENTRY}; it holds ${JSON.stringify(names)}`);
  }
  return entries[ZIP_ENTRY];
}
