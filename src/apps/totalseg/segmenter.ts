import type { SegmentProgress, SegmentRequest, SegmentResult } from '../../infer/segmentTypes';

/** What the infer task needs from the pipeline: `SegmentationRunner.segment` (worker-thread model runs). */
export interface Segmenter {
  segment(request: SegmentRequest, onProgress?: (progress: SegmentProgress) => void, signal?: AbortSignal): Promise<SegmentResult>;
}
