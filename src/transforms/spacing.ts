import { makeVolume, type Vec3, type Volume, type VoxelArray } from '../core/volume';
import { resampleNearest } from './nearest';
import { samplingGrid } from './samplingGrid';
import { planInverse, planSpacing, type ResamplePlan } from './spacingGeometry';
import { resampleTrilinear } from './trilinear';

function checkedSpacing(pixdim: number | Vec3): Vec3 {
  const target: Vec3 = typeof pixdim === 'number' ? [pixdim, pixdim, pixdim] : pixdim;
  if (!target.every((s) => Number.isFinite(s) && s > 0)) throw new RangeError(`resampleToSpacing: spacing must be positive, got ${target.join(', ')}`);
  return target;
}

/** What `resampleToSpacing` did: the plan from the input grid to the resampled one. */
export type SpacingRecord = ResamplePlan;

/**
 * MONAI `Spacingd(pixdim, mode="bilinear")` with the bundle's defaults (padding border, align_corners False, float64
 * interpolation, float32 out). Returns the input itself when MONAI would leave it unchanged.
 */
export function resampleToSpacing(volume: Volume<VoxelArray>, pixdim: number | Vec3): { volume: Volume<Float32Array>; record: SpacingRecord } {
  const plan = planSpacing(volume.shape, volume.affineRas, checkedSpacing(pixdim));
  if (plan.unchanged) {
    const data = volume.data instanceof Float32Array ? volume.data : Float32Array.from(volume.data);
    return { volume: makeVolume(data, volume.shape, volume.affineRas), record: plan };
  }
  const data = resampleTrilinear(volume.data, samplingGrid(plan.xform, plan.inShape, plan.outShape));
  return { volume: makeVolume(data, plan.outShape, plan.outAffine), record: plan };
}

/**
 * MONAI `Spacingd(pixdim, mode="nearest")`, as the bundle's training applies it to label maps: same grid as the
 * bilinear image resample, nearest neighbour, the array type kept (uint8 labels stay uint8).
 */
export function resampleToSpacingNearest<T extends VoxelArray>(volume: Volume<T>, pixdim: number | Vec3): { volume: Volume<T>; record: SpacingRecord } {
  const plan = planSpacing(volume.shape, volume.affineRas, checkedSpacing(pixdim));
  if (plan.unchanged) return { volume, record: plan };
  const data = resampleNearest(volume.data, samplingGrid(plan.xform, plan.inShape, plan.outShape));
  return { volume: makeVolume(data, plan.outShape, plan.outAffine), record: plan };
}

/**
 * MONAI Invertd(nearest_interp=True) for Spacingd: resamples a volume on the resampled grid (typically the uint8
 * argmax label map) back to the original shape with nearest neighbour and border padding. The result carries the
 * original affine exactly.
 */
export function undoSpacingNearest<T extends VoxelArray>(volume: Volume<T>, record: SpacingRecord): Volume<T> {
  if (!volume.shape.every((n, i) => n === record.outShape[i])) {
    throw new RangeError(`undoSpacingNearest: volume shape [${volume.shape.join(', ')}] is not the resampled shape [${record.outShape.join(', ')}]`);
  }
  if (record.unchanged) return { ...volume, affineRas: record.inAffine };
  const inverse = planInverse(record);
  const data = inverse.unchanged ? volume.data : resampleNearest(volume.data, samplingGrid(inverse.xform, inverse.inShape, inverse.outShape));
  return makeVolume(data, record.inShape, record.inAffine);
}
