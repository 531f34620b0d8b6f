import * as fs from 'node:fs/promises';
import { tempPathFor } from './atomicWrite';

/** Moves a file to `target` atomically; across filesystems it copies to a temp file beside `target` first. */
export async function moveFileAtomic(source: string, target: string): Promise<void> {
  try {
    await fs.rename(source, target);
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
  }
  const temp = tempPathFor(target);
  try {
    await fs.copyFile(source, temp);
    await fs.rename(temp, target);
    await fs.rm(source, { force: true });
  } catch (e) {
    await fs.rm(temp, { force: true });
    throw e;
  }
}
