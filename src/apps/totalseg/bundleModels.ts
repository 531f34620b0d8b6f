import { SPACING_MM, type Resolution } from './bundleRecipe';

/** A released weights file of the bundle `wholeBody_ct_segmentation` (large_files.yml of version 0.2.5). */
export interface BundleModelFile {
  readonly resolution: Resolution;
  readonly fileName: string;
  readonly pixdim: number;
  /** Tried in order, at least one. The md5 is large_files.yml's; the Hugging Face copy (bundle 0.2.7) publishes none. */
  readonly sources: readonly [ModelSource, ...ModelSource[]];
}

export interface ModelSource {
  readonly url: string;
  readonly md5?: string;
}

const HF = 'https://huggingface.co/MONAI/wholeBody_ct_segmentation/resolve/main/models';

export const BUNDLE_MODELS: Readonly<Record<Resolution, BundleModelFile>> = {
  highres: {
    resolution: 'highres',
    fileName: 'model.pt',
    pixdim: SPACING_MM.highres,
    sources: [
      { url: 'https://developer.download.nvidia.com/assets/Clara/monai/tutorials/model_zoo/model_wholebody_ct_segmentation.pt', md5: 'aded45dea52f9c00b37922bcd0a98502' },
      { url: `${HF}/model.pt` },
    ],
  },
  lowres: {
    resolution: 'lowres',
    fileName: 'model_lowres.pt',
    pixdim: SPACING_MM.lowres,
    sources: [
      { url: 'https://developer.download.nvidia.com/assets/Clara/monai/tutorials/model_zoo/model_lowres_wholebody_ct_segmentation.pt', md5: 'dbdebeae650f4fb5ea7f4ad01e0d2431' },
      { url: `${HF}/model_lowres.pt` },
    ],
  },
};

