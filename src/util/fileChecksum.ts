import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';

const checksums = new Map<string, { stamp: string; sha256: Promise<string> }>();

/**
 * SHA-256 (hex) of a file, cached by path, size and mtime (the bundle's weights are 75 MB each); callers asking
 * while it is being computed share the one read.
 */
export async function sha256OfFile(file: string): Promise<string> {
  const stat = await fs.promises.stat(file);
  const stamp = `${stat.size}:${stat.mtimeMs}`;
  const hit = checksums.get(file);
  if (hit?.stamp === stamp) return hit.sha256;
  const sha256 = (async () => {
    const hash = createHash('sha256');
    await pipeline(fs.createReadStream(file), hash);
    return hash.digest('hex');
  })();
  checksums.set(file, { stamp, sha256 });
  sha256.catch(() => checksums.delete(file));
  return sha256;
}
