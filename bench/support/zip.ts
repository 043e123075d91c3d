/**
 * The size of a single-file zip, as Lambda receives the deployment package: a local header, the file deflated at
 * level 9 (what `zip -9` does), a central directory entry and the end record. Only the size is needed, so nothing
 * is written. https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT (sections 4.3.7, 4.3.12, 4.3.16)
 */
import { deflateRawSync } from 'node:zlib';

const LOCAL_HEADER_BYTES = 30;
const CENTRAL_HEADER_BYTES = 46;
const END_RECORD_BYTES = 22;

/** Bytes of a zip holding `content` under `name`. */
export function zippedSize(name: string, content: Uint8Array): number {
  const nameBytes = Buffer.byteLength(name, 'utf8');
  // Zip stores a file uncompressed when deflating does not make it smaller.
  const data = Math.min(deflateRawSync(content, { level: 9 }).length, content.length);
  return LOCAL_HEADER_BYTES + nameBytes + data + CENTRAL_HEADER_BYTES + nameBytes + END_RECORD_BYTES;
}
