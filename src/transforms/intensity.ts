import type { Volume } from '../core/volume';

export interface IntensityOptions {
  /** Overwrite the input's voxels instead of allocating a new array (saves one volume of memory). */
  readonly inPlace?: boolean;
}

function output(volume: Volume<Float32Array>, options: IntensityOptions): Float32Array {
  return options.inPlace ? volume.data : new Float32Array(volume.data.length);
}

/**
 * MONAI `NormalizeIntensityd(nonzero=True)`: z-score over the voxels that are not 0; voxels equal to 0 stay 0.
 * As in MONAI (torch, float32 data), the mean and the population std are float32 numbers (here accumulated in
 * float64, then rounded), std 0 becomes 1, and each voxel is (v - mean) / std in float32 arithmetic.
 */
export function normalizeNonzero(volume: Volume<Float32Array>, options: IntensityOptions = {}): Volume<Float32Array> {
  const src = volume.data;
  const out = output(volume, options);
  let sum = 0;
  let count = 0;
  // Every loop below runs i over src's indices (src[i]! is in range).
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v !== 0) {
      sum += v;
      count++;
    }
  }
  if (count === 0) {
    if (out !== src) out.set(src);
    return { ...volume, data: out };
  }
  const mean = Math.fround(sum / count);
  let squares = 0;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v !== 0) squares += (v - mean) * (v - mean);
  }
  const std = Math.fround(Math.sqrt(squares / count)) || 1;
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    out[i] = v === 0 ? v : Math.fround(v - mean) / std;
  }
  return { ...volume, data: out };
}

/**
 * MONAI `ScaleIntensityd(minv, maxv)` (the bundle uses -1, 1): global min-max rescale in float32 arithmetic,
 * ((v - min) / (max - min)) * (maxv - minv) + minv; a constant volume becomes v * minv.
 */
export function scaleIntensity(volume: Volume<Float32Array>, minv = -1, maxv = 1, options: IntensityOptions = {}): Volume<Float32Array> {
  const src = volume.data;
  const out = output(volume, options);
  let lo = Infinity;
  let hi = -Infinity;
  // Every loop below runs i over src's indices (src[i]! is in range).
  for (let i = 0; i < src.length; i++) {
    const v = src[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) {
    for (let i = 0; i < src.length; i++) out[i] = src[i]! * minv;
    return { ...volume, data: out };
  }
  const range = Math.fround(hi - lo);
  const scale = Math.fround(maxv - minv);
  const shift = Math.fround(minv);
  for (let i = 0; i < src.length; i++) out[i] = Math.fround(Math.fround(Math.fround(src[i]! - lo) / range) * scale) + shift;
  return { ...volume, data: out };
}
