import { Resolution } from '../../infer/segmentTypes';

/** A released weights file of the bundle `wholeBody_ct_segmentation` (large_files.yml of version 0.2.5). */
export interface BundleModelFile {
  readonly resolution: Resolution;
  readonly fileName: string;
  readonly pixdim: number;
  readonly urls: readonly string[];
  readonly md5: string;
}

const HF = 'https://huggingface.co/MONAI/wholeBody_ct_segmentation/resolve/main/models';

export const BUNDLE_MODELS: Readonly<Record<Resolution, BundleModelFile>> = {
  highres: {
    resolution: 'highres',
    fileName: 'model.pt',
    pixdim: 1.5,
    urls: ['https://developer.download.nvidia.com/assets/Clara/monai/tutorials/model_zoo/model_wholebody_ct_segmentation.pt', `${HF}/model.pt`],
    md5: 'aded45dea52f9c00b37922bcd0a98502',
  },
  lowres: {
    resolution: 'lowres',
    fileName: 'model_lowres.pt',
    pixdim: 3.0,
    urls: ['https://developer.download.nvidia.com/assets/Clara/monai/tutorials/model_zoo/model_lowres_wholebody_ct_segmentation.pt', `${HF}/model_lowres.pt`],
    md5: 'dbdebeae650f4fb5ea7f4ad01e0d2431',
  },
};

export function pixdimOf(resolution: Resolution): number {
  return BUNDLE_MODELS[resolution].pixdim;
}
