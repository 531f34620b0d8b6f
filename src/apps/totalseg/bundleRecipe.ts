import type { InferRecipe } from '../../infer/segmentTypes';
import type { Volume } from '../../core/volume';
import { preprocessForNetwork, type IntensityStep, type Preprocessed } from '../../transforms';
import { BUNDLE_CHANNEL_NAMES } from './bundleLabels';
import { BUNDLE_TERMINOLOGY } from './bundleTerminology';

/** The bundle's two models: `model.pt` at 1.5 mm ("highres") and `model_lowres.pt` at 3.0 mm. */
export type Resolution = 'highres' | 'lowres';

/** The bundle's isotropic working spacing per resolution (inference.json `pixdim`). */
export const SPACING_MM: Readonly<Record<Resolution, number>> = { highres: 1.5, lowres: 3.0 };

/** The bundle's sliding-window roi. */
export const ROI = 96;

/** inference.json after Spacingd: NormalizeIntensityd(nonzero=True) -> ScaleIntensityd(-1, 1). */
export const WHOLE_BODY_INTENSITY: readonly IntensityStep[] = [{ kind: 'normalizeNonzero' }, { kind: 'scaleIntensity', min: -1, max: 1 }];

/** wholeBody_ct_segmentation's inference chain for one resolution, as the pipeline template takes it. */
export function wholeBodyRecipe(resolution: Resolution): InferRecipe {
  return {
    preprocess: { spacingMm: SPACING_MM[resolution], intensity: WHOLE_BODY_INTENSITY },
    roi: [ROI, ROI, ROI],
    overlap: 0.25,
    classes: BUNDLE_CHANNEL_NAMES.length,
    labelNames: Object.fromEntries(BUNDLE_CHANNEL_NAMES.map((name, i) => [String(i), name])),
    labelCodes: BUNDLE_TERMINOLOGY,
    algorithmName: 'wbct wholeBody_ct_segmentation',
    seriesDescription: `wbct ${resolution}`,
  };
}

/** The bundle's pre-transforms after LoadImaged at `spacingMm`: RAS, Spacingd, NormalizeIntensityd(nonzero), ScaleIntensityd(-1, 1). */
export function preprocessWholeBody(image: Volume<Float32Array>, spacingMm: number): Preprocessed {
  return preprocessForNetwork(image, { spacingMm, intensity: WHOLE_BODY_INTENSITY });
}
