import { randomBytes } from 'node:crypto';
import * as fsSync from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { processAlive } from './processAlive';

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

/**
 * The synchronous twin of {@link writeFileAtomic}, for callers that are synchronous by design (the DICOM writers):
 * creates the folder, writes a temp file beside the target, renames; the temp file is removed on failure and the
 * error names the target.
 */
export function writeFileAtomicSync(target: string, data: Uint8Array | string): void {
  fsSync.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
  const tmp = tempPathFor(target);
  try {
    fsSync.writeFileSync(tmp, data);
    fsSync.renameSync(tmp, target);
  } catch (e) {
    fsSync.rmSync(tmp, { force: true });
    throw new Error(`${target}: could not write (${(e as Error).message})`);
  }
}

const TEMP_NAME = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * Removes the temp files `tempPathFor` names in `dir` whose writing process is gone (a kill -9 between write and
 * rename); a live process's temp file may still be renamed into place, so it stays. Returns the removed names.
 */
export function removeStaleTempFilesSync(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fsSync.readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    fsSync.rmSync(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}
