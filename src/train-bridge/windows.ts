import { AXES, Vec3, Volume, mapVec3 } from '../core/volume';
import { copyWindow } from '../transforms/copyWindow';
import { VoxelBox } from './cropForeground';

/**
 * Copies the box [start, start + roi), which must lie inside the volume, into the network's layout (C order, k
 * fastest), as the inference sliding window feeds the model.
 */
export function extractWindow<T extends Float32Array | Uint8Array>(volume: Volume<T>, start: Vec3, roi: Vec3): T {
  const [nx, ny, nz] = volume.shape;
  for (const a of AXES) {
    if (start[a] < 0 || start[a] + roi[a] > volume.shape[a]) throw new RangeError(`window [${start.join(', ')}] + [${roi.join(', ')}] leaves the volume [${nx}, ${ny}, ${nz}]`);
  }
  return copyWindow(volume.data, volume.shape, start, roi, new (volume.data.constructor as new (n: number) => T)(roi[0] * roi[1] * roi[2]));
}

/** A small seeded PRNG (mulberry32) so that crops are reproducible for a given seed. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** MONAI RandSpatialCrop(roi, random_size=False): each start uniform over [0, size - roi]. */
export function randomCropStart(shape: Vec3, roi: Vec3, random: () => number): Vec3 {
  return mapVec3(shape, (n, a) => {
    if (n < roi[a]) throw new RangeError(`volume [${shape.join(', ')}] is smaller than the training roi [${roi.join(', ')}]`);
    return Math.floor(random() * (n - roi[a] + 1));
  });
}

/** MONAI CenterSpatialCrop(roi): centred box, no padding; axes shorter than the roi are kept whole. */
export function centerCropBox(shape: Vec3, roi: Vec3): VoxelBox {
  const start = mapVec3(shape, (n, a) => Math.max(Math.floor(n / 2) - Math.floor(roi[a] / 2), 0));
  const end = mapVec3(shape, (n, a) => Math.min(start[a] + roi[a], n));
  return { start, end };
}
