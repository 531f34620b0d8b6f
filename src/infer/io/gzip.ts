import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

const gunzipAsync = promisify(zlib.gunzip);
const gzipAsync = promisify(zlib.gzip);

/** True when the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Inflates a gzip stream (several concatenated members allowed) with zlib's async API, which runs in libuv's
 * thread pool, so a large file does not block the event loop. `file` names the source in the error.
 */
export async function gunzipBytes(bytes: Uint8Array, file: string): Promise<Buffer> {
  try {
    return await gunzipAsync(bytes);
  } catch (e) {
    throw new Error(`${file}: gzip data is truncated or corrupt (${(e as Error).message})`);
  }
}

/** nibabel writes .gz at level 1: labels and CT compress well at it, and it is several times faster than 6. */
export const DEFAULT_GZIP_LEVEL = 1;

export async function gzipBytes(bytes: Uint8Array, level = DEFAULT_GZIP_LEVEL): Promise<Buffer> {
  return gzipAsync(bytes, { level });
}
