import type { LabelCodes } from '../core/codedConcept';
import type { ResourceLimits } from '../core/resourceLimits';
import type { Vec3 } from '../core/volume';
import type { PreprocessSpec } from '../transforms';
import type { Device, Precision } from '../model/segmentationNetwork';
import type { StatisticsReport } from '../report/structureStatistics';

/** The contract between callers (CLI, server app) and the segmentation pipeline. */

/**
 * What a model's app tells the pipeline, as plain data (it crosses into the worker thread): the pre-transforms
 * (orientation RAS, isotropic spacing, intensity steps), the sliding-window inferer's roi, the classes of the
 * network's output and how a result is described in DICOM. MONAI Label's BasicInferTask gets the same from its
 * pre_transforms / inferer / post_transforms.
 */
export interface InferRecipe {
  readonly preprocess: PreprocessSpec;
  /** Sliding-window roi, voxels per axis. */
  readonly roi: Vec3;
  /** Default overlap of neighbouring windows, in [0, 1). */
  readonly overlap: number;
  /** Output channels of the network (label values 0..classes-1). */
  readonly classes: number;
  /** Label value -> structure name (DICOM SEG / RTSTRUCT). */
  readonly labelNames: Readonly<Record<string, string>>;
  /** Label name -> SNOMED CT category / type / laterality of its DICOM SEG segment; default a generic coding. */
  readonly labelCodes?: LabelCodes;
  /** Recorded in DICOM outputs (SEG segment algorithm, RTSTRUCT ROI generation). */
  readonly algorithmName: string;
  readonly seriesDescription: string;
}

export type LabelDtype = 'uint8' | 'float32';
/** `image`: NIfTI/NRRD by the output's extension; `dicom-seg` / `rtstruct`: DICOM objects referencing a DICOM series input. */
export type OutputFormat = 'image' | 'dicom-seg' | 'rtstruct';

export interface SegmentRequest {
  /** .nii, .nii.gz, .nrrd, or a folder / .zip of one DICOM CT series. */
  readonly inputPath: string;
  /** Output format follows the extension: .nii, .nii.gz, .nrrd. Written atomically (temp file + rename). */
  readonly outputPath: string;
  /** The model's pipeline: pre-transforms, inferer, classes, DICOM description. */
  readonly recipe: InferRecipe;
  /** Weights: a PyTorch state_dict `.pt` (converted and cached) or an `.onnx` built from one. */
  readonly modelPath: string;
  readonly outputDtype?: LabelDtype;
  readonly outputFormat?: OutputFormat;
  /** Sliding-window overlap, default the recipe's. */
  readonly overlap?: number;
  /** Windows per model call, default 1. */
  readonly swBatchSize?: number;
  /** Read and resampling limits checked before the expensive steps (default DEFAULT_LIMITS). */
  readonly limits?: ResourceLimits;
  /** The network's arithmetic, default `fp32` (exact); `bf16` is a faster approximation (oneDNN engine). */
  readonly precision?: Precision;
  /** Where the network runs: `cpu` (the runner's engine, default) or `webgpu` (onnxruntime's WebGPU provider). */
  readonly device?: Device;
  /** Per-structure statistics over the input CT in the result (TotalSegmentator's statistics.json), default off. */
  readonly statistics?: boolean;
  /** Where to write a PNG preview (axial, coronal, sagittal planes with the labels over the CT), after the label file. */
  readonly previewPath?: string;
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
  /** What ran the network, e.g. "onednn 2.6.3 avx512_core_amx, fp32". */
  readonly engine: string;
  /** Shape of the label map (the input's voxel grid). */
  readonly shape: readonly [number, number, number];
  /** Voxel count per label value 0..classes-1 (and above, if a label map ever held more). */
  readonly labelCounts: readonly number[];
  readonly peakRssBytes: number;
  /** Set when the request asked for `statistics`: the structures present, by name. */
  readonly statistics?: StatisticsReport;
}

export interface SegmentProgress {
  readonly stage: 'load' | 'preprocess' | 'infer' | 'invert' | 'write';
  /** Windows done / total during 'infer'; 0/1 -> 1/1 for the other stages. */
  readonly done: number;
  readonly total: number;
}
