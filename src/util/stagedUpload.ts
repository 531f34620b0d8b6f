import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ApiError } from '../core/errors';
import { apiErrorOfLimit } from '../core/limitErrors';
import { isLimitExceeded, LimitExceededError } from '../core/resourceLimits';
import type { IncomingFile } from '../core/datastore';
import type { VolumeReader } from '../core/volumeReader';
import type { Volume, VoxelArray } from '../core/volume';
import { moveFileAtomic } from './moveFileAtomic';
import { uploadBaseName } from '../core/fileNames';

/**
 * An upload moved beside its destination under a hidden name that keeps its extension (readers pick the format
 * by extension), read once to prove it is an image, then renamed into place or discarded.
 */
export class StagedUpload {
  private constructor(
    readonly path: string,
    readonly ext: string,
    readonly clientName: string,
  ) {}

  static async stage(file: IncomingFile, dir: string, ext: string): Promise<StagedUpload> {
    await fs.mkdir(dir, { recursive: true });
    const staged = path.join(dir, `.upload-${randomBytes(8).toString('hex')}${ext}`);
    await moveFileAtomic(file.tempPath, staged);
    return new StagedUpload(staged, ext, uploadBaseName(file.fileName) || '(unnamed upload)');
  }

  /** Reads the staged file; anything unreadable is the client's fault (415), not a server error. */
  async read(readVolume: VolumeReader): Promise<Volume<VoxelArray>> {
    try {
      return await readVolume(this.path);
    } catch (e) {
      await this.discard();
      const reason = e instanceof Error ? e.message.split(this.path).join(this.clientName) : String(e);
      if (isLimitExceeded(e)) throw apiErrorOfLimit(LimitExceededError.rebuilt(e.limit, e.allowed, reason));
      throw new ApiError('NOT_AN_IMAGE', `"${this.clientName}" is not a readable ${this.ext} image: ${reason}`);
    }
  }

  async commit(target: string): Promise<void> {
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.rename(this.path, target);
  }

  async discard(): Promise<void> {
    await fs.rm(this.path, { force: true });
  }
}
