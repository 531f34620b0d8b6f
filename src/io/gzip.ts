import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

const gunzipAsync = promisify(zlib.gunzip);
const gzipAsync = promisify(zlib.gzip);

/** True when the bytes start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** zlib's error when the output would pass `maxOutputLength`. */
function isOutputTooLarge(e: unknown): boolean {
  return e instanceof RangeError || (e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
}

/**
 * Inflates a gzip stream (several concatenated members allowed) with zlib's async API, which runs in libuv's
 * thread pool, so a large file does not block the event loop. Inflating stops at `maxBytes` of output: a
 * decompression bomb costs no more memory than the image its header declared. `file` names the source in the error.
 */
export async function gunzipBytes(bytes: Uint8Array, file: string, maxBytes: number): Promise<Buffer> {
  try {
    return await gunzipAsync(bytes, { maxOutputLength: Math.max(1, Math.min(maxBytes, 2 ** 32)) });
  } catch (e) {
    if (isOutputTooLarge(e)) throw new Error(`${file}: gzip data inflates to more than ${maxBytes} bytes, more than its header declares`);
    throw new Error(`${file}: gzip data is truncated or corrupt (${(e as Error).message})`);
  }
}

/**
 * The first bytes of a gzip stream's output, for reading a header before deciding whether to inflate the rest:
 * at most `prefixBytes` of input are inflated (deflate expands at most about 1032:1, so this is bounded too).
 * `complete`: `bytes` is the whole file, so a stream that ends early is reported as truncated.
 */
export function gunzipPrefix(bytes: Uint8Array, file: string, complete: boolean, prefixBytes = 4096): Buffer {
  try {
    if (complete && bytes.length <= prefixBytes) return zlib.gunzipSync(bytes);
    return zlib.gunzipSync(bytes.subarray(0, prefixBytes), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  } catch (e) {
    throw new Error(`${file}: gzip data is truncated or corrupt (${(e as Error).message})`);
  }
}

/** nibabel writes .gz at level 1: labels and CT compress well at it, and it is several times faster than 6. */
export const DEFAULT_GZIP_LEVEL = 1;

export async function gzipBytes(bytes: Uint8Array, level = DEFAULT_GZIP_LEVEL): Promise<Buffer> {
  return gzipAsync(bytes, { level });
}
