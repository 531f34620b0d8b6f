import { makeVolume } from '../../../src/core/volume';
import type { SegmentProgress, SegmentResult } from '../../../src/infer/segmentTypes';
import type { Segmenter, WholeBodySegmentRequest as SegmentRequest } from '../../../src/apps/totalseg/segmenter';
import { readVolumeFile, writeVolumeFile } from './imageFiles';

/**
 * FOR PROTOCOL TESTS ONLY: not a segmentation. It writes a real label file on the input image's exact grid
 * (value = 1 where the intensity is positive), so that multipart framing, byte layout, datastore round trips and
 * queueing can be tested without a model. Every request is recorded; `hold()` keeps runs waiting until released.
 */
export class GridCopySegmenter implements Segmenter {
  readonly requests: SegmentRequest[] = [];
  readonly aborted: SegmentRequest[] = [];
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.gate = null;
  }

  /** Reports `infer 1/4` before waiting at the gate, so that the progress API has something to show. */
  async segment(request: SegmentRequest, onProgress?: (p: SegmentProgress) => void, signal?: AbortSignal): Promise<SegmentResult> {
    this.requests.push(request);
    onProgress?.({ stage: 'infer', done: 1, total: 4 });
    if (this.gate) {
      await Promise.race([
        this.gate,
        new Promise<never>((_, reject) =>
          signal?.addEventListener('abort', () => {
            this.aborted.push(request);
            reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
          }, { once: true }),
        ),
      ]);
    }
    const image = await readVolumeFile(request.inputPath);
    const data = Uint8Array.from(image.data, (v) => (v > 0 ? 1 : 0));
    await writeVolumeFile(request.outputPath, makeVolume(data, image.shape, image.affineRas));
    const counts = new Array<number>(105).fill(0);
    const ones = data.reduce((n, v) => n + v, 0);
    [counts[0], counts[1]] = [data.length - ones, ones];
    return { outputPath: request.outputPath, latencies: { pre: 0.01, infer: 0.02, invert: 0, post: 0, write: 0.01, total: 0.04 }, modelSeconds: 0.02, engine: 'grid copy (test)', shape: image.shape, labelCounts: counts, peakRssBytes: 0 };
  }
}
