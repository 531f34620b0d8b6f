import type { ResourceLimits } from '../core/resourceLimits';

/** The contract between callers (CLI, server app) and the segmentation pipeline. */

export type Resolution = 'highres' | 'lowres';

/** The bundle's isotropic working spacing per resolution (inference.json `pixdim`). */
export const SPACING_MM: Readonly<Record<Resolution, number>> = { highres: 1.5, lowres: 3.0 };

/** The bundle's sliding-window roi. */
export const ROI = 96;
export type LabelDtype = 'uint8' | 'float32';
/** `image`: NIfTI/NRRD by the output's extension; `dicom-seg` / `rtstruct`: DICOM objects referencing a DICOM series input. */
export type OutputFormat = 'image' | 'dicom-seg' | 'rtstruct';

export interface SegmentRequest {
  /** .nii, .nii.gz, .nrrd, or a folder / .zip of one DICOM CT series. */
  readonly inputPath: string;
  /** Output format follows the extension: .nii, .nii.gz, .nrrd. Written atomically (temp file + rename). */
  readonly outputPath: string;
  /** highres = 1.5 mm isotropic, lowres = 3.0 mm isotropic. */
  readonly resolution: Resolution;
  /** Weights: a PyTorch state_dict `.pt` (converted and cached) or an `.onnx` built from one. */
  readonly modelPath: string;
  readonly outputDtype?: LabelDtype;
  readonly outputFormat?: OutputFormat;
  /** Label value -> structure name; DICOM outputs need it. */
  readonly labelNames?: Readonly<Record<string, string>>;
  /** Sliding-window overlap, default 0.25 (the bundle's). */
  readonly overlap?: number;
  /** Windows per model call, default 1 (the bundle's). */
  readonly swBatchSize?: number;
  /** Read and resampling limits checked before the expensive steps (default DEFAULT_LIMITS). */
  readonly limits?: ResourceLimits;
}

export interface SegmentLatencies {
  pre: number;
  infer: number;
  invert: number;
  post: number;
  write: number;
  total: number;
}

export interface SegmentResult {
  readonly outputPath: string;
  /** Seconds per stage, MONAI Label style. */
  readonly latencies: SegmentLatencies;
  /** Seconds spent in the network itself (part of `infer`; the rest of `infer` is blending and the head). */
  readonly modelSeconds: number;
  /** Shape of the label map (the input's voxel grid). */
  readonly shape: readonly [number, number, number];
  /** Voxel count per label value 0..104. */
  readonly labelCounts: readonly number[];
  readonly peakRssBytes: number;
}

export interface SegmentProgress {
  readonly stage: 'load' | 'preprocess' | 'infer' | 'invert' | 'write';
  /** Windows done / total during 'infer'; 0/1 -> 1/1 for the other stages. */
  readonly done: number;
  readonly total: number;
}
