import * as fs from 'node:fs/promises';
import type { VolumeReader } from '../core/volumeReader';
import type { VoxelGrid } from '../core/gridCheck';

/**
 * Voxel grids of stored images, keyed by path and invalidated by inode/size/mtime (a replaced image is a new inode
 * even within the same millisecond), so checking a label does not re-read a large CT.
 */
export class ImageGridCache {
  private readonly grids = new Map<string, { stamp: string; grid: VoxelGrid }>();

  constructor(
    private readonly readVolume: VolumeReader,
    private readonly capacity = 64,
  ) {}

  async gridOf(file: string): Promise<VoxelGrid> {
    const stat = await fs.stat(file);
    const stamp = `${stat.ino}:${stat.size}:${stat.mtimeMs}`;
    const hit = this.grids.get(file);
    if (hit && hit.stamp === stamp) return hit.grid;
    const { shape, affineRas } = await this.readVolume(file);
    this.grids.delete(file);
    this.grids.set(file, { stamp, grid: { shape, affineRas } });
    if (this.grids.size > this.capacity) this.grids.delete(this.grids.keys().next().value as string);
    return { shape, affineRas };
  }
}
