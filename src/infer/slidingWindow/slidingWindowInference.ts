import { Vec3 } from '../volume';
import { BlendSink, PlaneAxes } from './blendSinks';
import { gaussianImportanceMap } from './importanceMap';
import { WindowGrid, windowCount, windowGrid } from './windowGrid';

/** Runs the network on `count` windows packed as [count, 1, roi0, roi1, roi2] (C order); returns [count, C, roi...], read before the next call. */
export type Predictor = (batch: Float32Array, count: number, roi: Vec3) => Promise<Float32Array>;

export interface SlidingWindowOptions {
  readonly roi: Vec3;
  readonly overlap: number;
  readonly batchSize?: number;
  readonly sigmaScale?: number;
  readonly signal?: AbortSignal;
  readonly onWindow?: (done: number, total: number) => void;
}

/** An i-fastest float32 image, the layout of `Volume.data`: voxel (i, j, k) at i + n0 * (j + n1 * k). */
export interface ImageGrid {
  readonly data: Float32Array;
  readonly shape: Vec3;
}

interface Plane {
  sums: Float32Array;
  weights: Float32Array;
}

/**
 * MONAI's SlidingWindowInferer (gaussian blend, replicate padding) in bounded memory.
 *
 * MONAI accumulates 105 channels over the whole image before dividing; here windows run in raster order along an
 * outer axis (the longest one), and each index plane along it is handed to `sink` and freed as soon as no later
 * window can touch it. At most `roi` planes of sums are alive at once, whatever the image length. The sums
 * are the same float32 additions as MONAI's in a different order, so results agree to float32 rounding.
 */
export interface SlidingWindowStats {
  readonly windows: number;
  /** Most index planes of sums held at once (at most the roi along the outer axis). */
  readonly peakLivePlanes: number;
}

export async function slidingWindowInference(image: ImageGrid, predict: Predictor, sink: BlendSink, opts: SlidingWindowOptions): Promise<SlidingWindowStats> {
  const grid = windowGrid(image.shape, opts.roi, opts.overlap);
  const axes = planeAxes(grid.paddedShape);
  const windows = windowOrder(grid, axes);
  const total = windows.length;
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 1));
  const roi = grid.roi;
  const roiVoxels = roi[0] * roi[1] * roi[2];
  const weightMap = gaussianImportanceMap(roi, opts.sigmaScale ?? 0.125);
  const planes = new Map<number, Plane>();
  const P = grid.paddedShape[axes.p];
  const Q = grid.paddedShape[axes.q];
  let channels = 0;
  let finishedUpTo = 0;
  let done = 0;
  let peakLivePlanes = 0;

  const finishPlanesBefore = (limit: number) => {
    for (; finishedUpTo < limit; finishedUpTo++) {
      const plane = planes.get(finishedUpTo);
      planes.delete(finishedUpTo);
      const index = finishedUpTo - grid.padBefore[axes.outer];
      if (!plane || index < 0 || index >= image.shape[axes.outer]) continue;
      sink.accept(
        {
          index, sums: plane.sums, weights: plane.weights, channels, P, Q,
          pOffset: grid.padBefore[axes.p], qOffset: grid.padBefore[axes.q], pLength: image.shape[axes.p], qLength: image.shape[axes.q],
        },
        axes,
      );
    }
  };

  const accumulate = (logits: Float32Array, batch: readonly Vec3[]) => {
    channels ||= logits.length / (batch.length * roiVoxels);
    if (!Number.isInteger(channels) || logits.length !== channels * batch.length * roiVoxels) {
      throw new Error(`model returned ${logits.length} values for ${batch.length} window(s) of ${roiVoxels} voxels`);
    }
    batch.forEach((start, b) => {
      blendWindow(logits.subarray(b * channels * roiVoxels, (b + 1) * channels * roiVoxels), start);
      done++;
      const next = windows[done];
      finishPlanesBefore(next ? next[axes.outer] : grid.paddedShape[axes.outer]);
      opts.onWindow?.(done, total);
    });
  };

  const blendWindow = (logits: Float32Array, start: Vec3) => {
    const cs = [roi[1] * roi[2], roi[2], 1];
    const [so, sp, sq] = [cs[axes.outer], cs[axes.p], cs[axes.q]];
    const [ro, rp, rq] = [roi[axes.outer], roi[axes.p], roi[axes.q]];
    const [o0, p0, q0] = [start[axes.outer], start[axes.p], start[axes.q]];
    for (let t = 0; t < ro; t++) {
      let plane = planes.get(o0 + t);
      if (!plane) {
        plane = { sums: new Float32Array(channels * P * Q), weights: new Float32Array(P * Q) };
        planes.set(o0 + t, plane);
        peakLivePlanes = Math.max(peakLivePlanes, planes.size);
      }
      const { sums, weights } = plane;
      for (let p = 0; p < rp; p++) {
        const rowDst = (p0 + p) * Q + q0;
        const rowSrc = t * so + p * sp;
        for (let q = 0; q < rq; q++) weights[rowDst + q] += weightMap[rowSrc + q * sq];
        for (let c = 0; c < channels; c++) {
          const dst = c * P * Q + rowDst;
          const src = c * roiVoxels + rowSrc;
          for (let q = 0; q < rq; q++) sums[dst + q] += logits[src + q * sq] * weightMap[rowSrc + q * sq];
        }
      }
    }
  };

  // Strictly one batch at a time: the predictor may reuse its output buffer, and on a 2-core machine onnxruntime's
  // threads already fill the CPU, so blending beside a running batch would only add a second 371 MB logits array.
  for (let b = 0; b < total; b += batchSize) {
    opts.signal?.throwIfAborted();
    const batch = windows.slice(b, b + batchSize);
    const input = new Float32Array(batch.length * roiVoxels);
    batch.forEach((start, n) => extractWindow(image, grid, start, input.subarray(n * roiVoxels, (n + 1) * roiVoxels)));
    accumulate(await predict(input, batch.length, roi), batch);
  }
  finishPlanesBefore(grid.paddedShape[axes.outer]);
  return { windows: total, peakLivePlanes };
}

/** The longest padded axis is the outer one: it keeps the live planes (roi x the other two sides) smallest. */
export function planeAxes(padded: Vec3): PlaneAxes {
  const outer = ([0, 1, 2] as const).reduce((best, a) => (padded[a] > padded[best] ? a : best), 0 as 0 | 1 | 2);
  const [p, q] = ([0, 1, 2] as const).filter((a) => a !== outer) as [0 | 1 | 2, 0 | 1 | 2];
  return { outer, p, q };
}

/** Window starts in raster order: outer axis slowest. */
function windowOrder(grid: WindowGrid, axes: PlaneAxes): Vec3[] {
  const out: Vec3[] = [];
  for (const o of grid.starts[axes.outer]) {
    for (const p of grid.starts[axes.p]) {
      for (const q of grid.starts[axes.q]) {
        const s = [0, 0, 0];
        s[axes.outer] = o;
        s[axes.p] = p;
        s[axes.q] = q;
        out.push(s as unknown as Vec3);
      }
    }
  }
  if (out.length !== windowCount(grid)) throw new Error('window enumeration mismatch');
  return out;
}

/** Copies one window (C order, last axis fastest) out of the i-fastest image; replicate padding = clamped indices. */
function extractWindow(image: ImageGrid, grid: WindowGrid, start: Vec3, out: Float32Array): void {
  const [n0, n1, n2] = image.shape;
  const [r0, r1, r2] = grid.roi;
  const clamp = (v: number, n: number) => (v < 0 ? 0 : v >= n ? n - 1 : v);
  const kIdx = new Int32Array(r2);
  for (let c = 0; c < r2; c++) kIdx[c] = clamp(start[2] + c - grid.padBefore[2], n2) * n0 * n1;
  let o = 0;
  for (let a = 0; a < r0; a++) {
    const i = clamp(start[0] + a - grid.padBefore[0], n0);
    for (let b = 0; b < r1; b++) {
      const base = i + clamp(start[1] + b - grid.padBefore[1], n1) * n0;
      for (let c = 0; c < r2; c++) out[o++] = image.data[base + kIdx[c]];
    }
  }
}
