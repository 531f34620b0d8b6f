import { makeVolume, type Volume, type VoxelArray } from '../core/volume';
import { gatherByOffsets, nearestOffsets, type AxisOffsets } from './nearest';
import { samplingGrid } from './samplingGrid';
import { planInverse } from './spacingGeometry';
import { normalizeNonzero, scaleIntensity } from './intensity';
import { orientToRas, undoOrientation, type OrientationRecord } from './orientation';
import { resampleToSpacing, undoSpacingNearest, type SpacingRecord } from './spacing';

/** The invertible steps of the preprocessing, in the order they ran. */
export interface PreprocessInverse {
  readonly orientation: OrientationRecord;
  readonly spacing: SpacingRecord;
}

export interface Preprocessed {
  /** The network input: RAS, isotropic `spacingMm`, then the intensity steps. */
  readonly volume: Volume<Float32Array>;
  readonly inverse: PreprocessInverse;
}

/** An intensity transform of the chain, as data (a recipe crosses the worker-thread boundary). */
export type IntensityStep =
  | { readonly kind: 'normalizeNonzero' }
  | { readonly kind: 'scaleIntensity'; readonly min: number; readonly max: number };

export interface PreprocessSpec {
  /** Isotropic working spacing in mm (MONAI Spacingd, bilinear). */
  readonly spacingMm: number;
  readonly intensity: readonly IntensityStep[];
}

/**
 * MONAI's chain after LoadImaged: Orientationd(RAS) -> Spacingd(spacingMm, bilinear) -> the intensity steps. The
 * input volume is not modified.
 */
export function preprocessForNetwork(image: Volume<Float32Array>, spec: PreprocessSpec): Preprocessed {
  const oriented = orientToRas(image);
  const resampled = resampleToSpacing(oriented.volume, spec.spacingMm);
  // Only the resampled array may be overwritten: when Spacingd is a no-op it is still the caller's array.
  let volume = resampled.volume;
  let own = volume.data !== image.data;
  for (const step of spec.intensity) {
    volume = step.kind === 'normalizeNonzero' ? normalizeNonzero(volume, { inPlace: own }) : scaleIntensity(volume, step.min, step.max, { inPlace: own });
    own = true;
  }
  return { volume, inverse: { orientation: oriented.record, spacing: resampled.record } };
}

/**
 * Invertd(nearest_interp=True) for a map on the preprocessed grid (the argmax labels): nearest-neighbour back to the
 * original spacing, then the original axis order. The result has the input image's shape and affine exactly.
 */
export function invertLabels<T extends VoxelArray>(labels: Volume<T>, inverse: PreprocessInverse): Volume<T> {
  return invertInOnePass(labels, inverse) ?? undoOrientation(undoSpacingNearest(labels, inverse.spacing), inverse.orientation);
}

/**
 * The same result in a single gather when the inverse resample is separable (any axis-aligned input): each axis of
 * the input grid reads its RAS axis' nearest-neighbour table, reversed where the orientation flipped it. Saves one
 * full-size pass and one full-size array. Null when the resample grid is oblique or nothing was resampled.
 */
function invertInOnePass<T extends VoxelArray>(labels: Volume<T>, inverse: PreprocessInverse): Volume<T> | null {
  const { spacing, orientation } = inverse;
  if (spacing.unchanged || !labels.shape.every((n, i) => n === spacing.outShape[i])) return null;
  const back = planInverse(spacing);
  if (back.unchanged) return null;
  const rasOffsets = nearestOffsets(samplingGrid(back.xform, back.inShape, back.outShape));
  if (!rasOffsets) return null;
  const offsets = orientation.orientation.map((axis) => {
    const table = rasOffsets[axis.worldAxis];
    return axis.flip ? table.slice().reverse() : table;
  }) as AxisOffsets;
  return makeVolume(gatherByOffsets(labels.data, offsets), orientation.inputShape, orientation.inputAffine);
}
