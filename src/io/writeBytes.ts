import { createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { withAtomicTarget } from '../util/atomicWrite';
import { DEFAULT_GZIP_LEVEL } from './gzip';

/**
 * Writes `parts` one after the other, gzip-compressed when `gzip` is set (zlib runs in libuv's thread pool), via a
 * temp file that is fsynced and renamed over `file`: the target is either the old file or the complete new one.
 */
export async function writePartsAtomic(file: string, parts: readonly Uint8Array[], gzip: boolean, gzipLevel = DEFAULT_GZIP_LEVEL): Promise<void> {
  await withAtomicTarget(file, async (tmp) => {
    const source = Readable.from(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
    const sink = createWriteStream(tmp, { flags: 'wx' });
    if (gzip) await pipeline(source, zlib.createGzip({ level: gzipLevel }), sink);
    else await pipeline(source, sink);
    const fh = await fs.open(tmp, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  });
}
