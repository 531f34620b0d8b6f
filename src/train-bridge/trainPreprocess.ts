import { orientToRas } from '../transforms/orientation';
import { normalizeNonzero, scaleIntensity } from '../transforms/intensity';
import { resampleNearest } from '../transforms/nearest';
import { samplingGrid } from '../transforms/samplingGrid';
import { resampleToSpacing } from '../transforms/spacing';
import { planSpacing } from '../transforms/spacingGeometry';
import { AXES4, Vec3, Volume, VoxelArray, makeVolume } from '../core/volume';
import { cropToBox, foregroundBox } from './cropForeground';
import { gaussianSmooth } from './gaussianSmooth';

export interface TrainPreprocessOptions {
  /** Spacingd pixdim in mm (bundle: 1.5, or 3.0 for the low-res model). */
  readonly spacingMm: number;
  /** CropForegroundd margin (bundle: 10). */
  readonly margin?: number;
  /** CropForegroundd k_divisible (bundle: 96, the training roi). */
  readonly kDivisible?: Vec3;
  /** GaussianSmoothd sigma (bundle: 0.4). */
  readonly smoothSigma?: number;
}

export interface TrainPair {
  /** Network-ready image in [-1, 1]. */
  readonly image: Volume<Float32Array>;
  /** Class indices on the same grid. */
  readonly label: Volume<Uint8Array>;
}

function toUint8Labels(label: Volume<VoxelArray>, what: string): Volume<Uint8Array> {
  if (label.data instanceof Uint8Array) return label as Volume<Uint8Array>;
  const out = new Uint8Array(label.data.length);
  for (let i = 0; i < out.length; i++) {
    const v = label.data[i]!; // out has label.data's length
    if (!(Number.isInteger(v) && v >= 0 && v <= 255)) throw new RangeError(`${what}: label value ${v} is not a class index 0..255`);
    out[i] = v;
  }
  return { ...label, data: out };
}

function sameGrid(a: Volume<VoxelArray>, b: Volume<VoxelArray>): boolean {
  return a.shape.every((n, i) => n === b.shape[i]) && AXES4.every((r) => AXES4.every((c) => Math.abs(a.affineRas[r][c] - b.affineRas[r][c]) < 1e-3));
}

/**
 * The bundle's deterministic training transforms for one image/label pair (after LoadImaged): Orientationd(RAS),
 * Spacingd(bilinear | nearest), NormalizeIntensityd(nonzero), CropForegroundd(source image > 0, margin, k_divisible),
 * GaussianSmoothd(image), ScaleIntensityd(image, -1, 1).
 */
export function preprocessTrainPair(image: Volume<Float32Array>, label: Volume<VoxelArray>, opts: TrainPreprocessOptions, what = 'training pair'): TrainPair {
  if (!sameGrid(image, label)) throw new RangeError(`${what}: label grid [${label.shape.join(', ')}] does not match the image grid [${image.shape.join(', ')}]`);
  const img = resampleToSpacing(orientToRas(image).volume, opts.spacingMm).volume;
  const lab = orientToRas(toUint8Labels(label, what)).volume;
  const plan = planSpacing(lab.shape, lab.affineRas, [opts.spacingMm, opts.spacingMm, opts.spacingMm]);
  const labResampled = plan.unchanged ? lab : makeVolume(resampleNearest(lab.data, samplingGrid(plan.xform, plan.inShape, plan.outShape)), plan.outShape, plan.outAffine);
  const normalized = normalizeNonzero(img, { inPlace: img.data !== image.data });
  const box = foregroundBox(normalized, opts.margin ?? 10, opts.kDivisible ?? [96, 96, 96]);
  const smoothed = gaussianSmooth(cropToBox(normalized, box), opts.smoothSigma ?? 0.4);
  return { image: scaleIntensity(smoothed, -1, 1, { inPlace: true }), label: cropToBox(labResampled, box) };
}
