import { makeVolume, type Volume, type VoxelArray } from '../core/volume';
import { gatherByOffsets, nearestOffsets, type AxisOffsets } from './nearest';
import { samplingGrid } from './samplingGrid';
import { planInverse } from './spacingGeometry';
import { normalizeNonzero, scaleIntensity } from './intensity';
import { orientToRas, undoOrientation, type OrientationRecord } from './orientation';
import { resampleToSpacing, undoSpacingNearest, type SpacingRecord } from './spacing';

/** The invertible steps of the bundle's preprocessing, in the order they ran. */
export interface BundleInverse {
  readonly orientation: OrientationRecord;
  readonly spacing: SpacingRecord;
}

export interface BundlePreprocessed {
  /** The network input: RAS, isotropic `spacingMm`, z-scored over nonzero voxels, scaled to [-1, 1]. */
  readonly volume: Volume<Float32Array>;
  readonly inverse: BundleInverse;
}

/**
 * The wholeBody_ct_segmentation preprocessing after LoadImaged: Orientationd(RAS) -> Spacingd(spacingMm, bilinear)
 * -> NormalizeIntensityd(nonzero) -> ScaleIntensityd(-1, 1). The input volume is not modified.
 */
export function preprocessBundle(image: Volume<Float32Array>, spacingMm: number): BundlePreprocessed {
  const oriented = orientToRas(image);
  const resampled = resampleToSpacing(oriented.volume, spacingMm);
  // Only the resampled array may be overwritten: when Spacingd is a no-op it is still the caller's array.
  const own = resampled.volume.data !== image.data;
  const normalized = normalizeNonzero(resampled.volume, { inPlace: own });
  const scaled = scaleIntensity(normalized, -1, 1, { inPlace: true });
  return { volume: scaled, inverse: { orientation: oriented.record, spacing: resampled.record } };
}

/**
 * Invertd(nearest_interp=True) for a map on the preprocessed grid (the argmax labels): nearest-neighbour back to the
 * original spacing, then the original axis order. The result has the input image's shape and affine exactly.
 */
export function invertBundleLabels<T extends VoxelArray>(labels: Volume<T>, inverse: BundleInverse): Volume<T> {
  return invertInOnePass(labels, inverse) ?? undoOrientation(undoSpacingNearest(labels, inverse.spacing), inverse.orientation);
}

/**
 * The same result in a single gather when the inverse resample is separable (any axis-aligned input): each axis of
 * the input grid reads its RAS axis' nearest-neighbour table, reversed where the orientation flipped it. Saves one
 * full-size pass and one full-size array. Null when the resample grid is oblique or nothing was resampled.
 */
function invertInOnePass<T extends VoxelArray>(labels: Volume<T>, inverse: BundleInverse): Volume<T> | null {
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
