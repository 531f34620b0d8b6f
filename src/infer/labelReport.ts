import type { LabelVolume } from '../core/volume';
import type { ReadLimits } from '../io';
import { readStoredImage, type StoredImage } from '../io/readStoredImage';
import { previewPng } from '../report/previewImage';
import { structureStatistics, type StatisticsReport } from '../report/structureStatistics';
import { loadInput } from './loadInput';
import type { SegmentRequest } from './segmentTypes';

/** What a request's `statistics` / `previewPath` asked for, from the label map on the input grid. */
export interface LabelReport {
  readonly statistics?: StatisticsReport;
  /** Rendered now (it needs the CT), written after the label file. */
  readonly preview?: { readonly path: string; readonly png: Buffer };
}

/** Computes the statistics and renders the preview a request asks for (nothing when it asks for neither). */
export async function labelReport(req: SegmentRequest, labels: LabelVolume, fromDicom: boolean, limits: ReadLimits): Promise<LabelReport> {
  if (!req.statistics && req.previewPath === undefined) return {};
  const ct = await reloadInput(req.inputPath, fromDicom, limits);
  return {
    ...(req.statistics && { statistics: structureStatistics(labels, ct, req.recipe.labelNames) }),
    ...(req.previewPath !== undefined && { preview: { path: req.previewPath, png: previewPng(labels, ct) } }),
  };
}

/**
 * The input read a second time. The pipeline drops its float32 copy before the network runs to keep the peak low;
 * holding it through the network would cost 4 bytes per input voxel at the peak, reading again costs a second read
 * and inflate of the file. An image comes back in its stored type (an int16 CT: 2 bytes per voxel) and is scaled in
 * the statistics' loop. A DICOM series has a rescale per slice, so it comes back as the reader's float32 HU volume:
 * a second parse and decode of every slice and one full-size float32 copy, after the network's memory is freed.
 */
async function reloadInput(inputPath: string, fromDicom: boolean, limits: ReadLimits): Promise<StoredImage> {
  if (fromDicom) return { volume: (await loadInput(inputPath, limits)).volume };
  return readStoredImage(inputPath, limits);
}
