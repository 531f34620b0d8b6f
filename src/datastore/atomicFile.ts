import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

/** A hidden temporary name beside `target`, so a rename onto `target` stays on one filesystem. */
export function tempPathBeside(target: string, suffix = ''): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString('hex')}.tmp${suffix}`);
}

/** Writes a file so that readers see either the old or the new content, never a half-written one. */
export async function writeFileAtomic(target: string, data: string | Uint8Array): Promise<void> {
  const temp = tempPathBeside(target);
  try {
    const handle = await fs.open(temp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw e;
  }
}

/** Moves a file to `target` atomically; across filesystems it copies to a temp file beside `target` first. */
export async function moveFileAtomic(source: string, target: string): Promise<void> {
  try {
    await fs.rename(source, target);
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
  }
  const temp = tempPathBeside(target);
  try {
    await fs.copyFile(source, temp);
    await fs.rename(temp, target);
    await fs.rm(source, { force: true });
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw e;
  }
}
