import type { SegmentProgress, SegmentRequest, SegmentResult } from '../../infer/segmentTypes';
import { wholeBodyRecipe, type Resolution } from './bundleRecipe';

/** A segmentation of this model: the pipeline request with the bundle's resolution in place of a recipe. */
export interface WholeBodySegmentRequest extends Omit<SegmentRequest, 'recipe'> {
  readonly resolution: Resolution;
}

/** What the infer task needs from the pipeline: the bundle's segmentation of one file, cancellable, with progress. */
export interface Segmenter {
  segment(request: WholeBodySegmentRequest, onProgress?: (progress: SegmentProgress) => void, signal?: AbortSignal): Promise<SegmentResult>;
}

/** Anything that runs the pipeline template (`SegmentationRunner`, or `segmentFile` in this thread). */
export interface PipelineRunner {
  segment(request: SegmentRequest, onProgress?: (progress: SegmentProgress) => void, signal?: AbortSignal): Promise<SegmentResult>;
}

/** The bundle's recipe put into each request for `runner`; closing it closes the runner. */
export function wholeBodySegmenter(runner: PipelineRunner & { close?(): Promise<void> }): Segmenter & { close(): Promise<void> } {
  return {
    segment: ({ resolution, ...request }, onProgress, signal) => runner.segment({ ...request, recipe: wholeBodyRecipe(resolution) }, onProgress, signal),
    close: async () => runner.close?.(),
  };
}
