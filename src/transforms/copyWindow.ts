import { Vec3, VoxelArray } from '../core/volume';

/**
 * Copies the box [origin, origin + roi) of an i-fastest volume into the network's layout, C order [r0, r1, r2] with
 * the last (k) axis fastest. Coordinates outside the volume read the nearest edge voxel (replicate padding, what
 * the sliding window needs where the image is smaller than the roi).
 */
export function copyWindow<T extends VoxelArray>(data: T, shape: Vec3, origin: Vec3, roi: Vec3, out: T): T {
  const [n0, n1, n2] = shape;
  const [r0, r1, r2] = roi;
  const clamp = (v: number, n: number) => (v < 0 ? 0 : v >= n ? n - 1 : v);
  const kIdx = new Int32Array(r2);
  for (let c = 0; c < r2; c++) kIdx[c] = clamp(origin[2] + c, n2) * n0 * n1;
  let o = 0;
  for (let a = 0; a < r0; a++) {
    const i = clamp(origin[0] + a, n0);
    for (let b = 0; b < r1; b++) {
      const base = i + clamp(origin[1] + b, n1) * n0;
      // c < r2 = kIdx.length, and clamped indices keep base + kIdx[c] inside the volume.
      for (let c = 0; c < r2; c++) out[o++] = data[base + kIdx[c]!]!;
    }
  }
  return out;
}
