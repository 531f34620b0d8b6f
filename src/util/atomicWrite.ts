import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** A temp path in the target's folder (same filesystem, so rename is atomic). */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Writes via a temp file in the same folder, fsyncs, then renames over the target: readers see the old file or the
 * new one, never half of one. The temp file is removed on failure.
 */
export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  await withAtomicTarget(target, async (tmp) => {
    const fh = await fs.open(tmp, 'wx');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
  });
}

/** Runs `write(tmpPath)` then renames the temp file to `target`; on any error the temp file is deleted. */
export async function withAtomicTarget<T>(target: string, write: (tmpPath: string) => Promise<T>): Promise<T> {
  const tmp = tempPathFor(target);
  try {
    const result = await write(tmp);
    await fs.rename(tmp, target);
    return result;
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
