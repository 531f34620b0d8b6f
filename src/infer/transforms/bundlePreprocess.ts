import type { Volume, VoxelArray } from '../volume';
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
  return undoOrientation(undoSpacingNearest(labels, inverse.spacing), inverse.orientation);
}
