import { mapVec3, type Vec3 } from '../../core/volume';

/** Where MONAI's SlidingWindowInferer puts its windows over an image of `shape`. */
export interface WindowGrid {
  readonly roi: Vec3;
  /** The image shape after symmetric replicate padding up to the roi. */
  readonly paddedShape: Vec3;
  /** Padding added before each axis (`diff // 2`). */
  readonly padBefore: Vec3;
  /** Window start offsets per axis, in padded coordinates. */
  readonly starts: readonly [readonly number[], readonly number[], readonly number[]];
}

export function validateOverlap(overlap: number): void {
  if (!(overlap >= 0 && overlap < 1)) throw new RangeError(`sliding-window overlap must be in [0, 1), got ${overlap}`);
}

/**
 * MONAI 1.4.0 `sliding_window_inference` geometry: pad each axis shorter than the roi to the roi (half before,
 * rest after); scan interval `int(roi * (1 - overlap))` (the roi itself where the roi equals the image size);
 * window count the smallest d+1 with d*interval + roi >= size; starts d*interval with the last clamped to size-roi.
 */
export function windowGrid(shape: Vec3, roi: Vec3, overlap: number): WindowGrid {
  validateOverlap(overlap);
  const paddedShape = mapVec3(shape, (n, a) => Math.max(n, roi[a]));
  const padBefore = mapVec3(shape, (n, a) => Math.floor((paddedShape[a] - n) / 2));
  const starts = mapVec3(paddedShape, (size, a) => {
    const r = roi[a];
    const interval = r === size ? r : Math.max(Math.floor(r * (1 - overlap)), 1);
    const out: number[] = [];
    for (let d = 0; ; d++) {
      out.push(Math.min(d * interval, size - r));
      if (d * interval + r >= size) break;
    }
    return out;
  }) as unknown as WindowGrid['starts'];
  return { roi, paddedShape, padBefore, starts };
}

export function windowCount(grid: WindowGrid): number {
  return grid.starts[0].length * grid.starts[1].length * grid.starts[2].length;
}
