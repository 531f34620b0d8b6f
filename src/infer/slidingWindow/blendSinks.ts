/**
 * A finished plane of the blend: weighted logit sums and weight sums for every voxel of one index plane along the
 * outer axis, in padded coordinates. Voxel (p, q) of channel c is `sums[c * P * Q + p * Q + q]`.
 */
export interface FinishedPlane {
  /** Index along the outer axis in the unpadded image. */
  readonly index: number;
  readonly sums: Float32Array;
  readonly weights: Float32Array;
  readonly channels: number;
  /** Padded plane size. */
  readonly P: number;
  readonly Q: number;
  /** Offset of the unpadded image inside the padded plane, and its size. */
  readonly pOffset: number;
  readonly qOffset: number;
  readonly pLength: number;
  readonly qLength: number;
}

/** Which image axis (0 = i/D, 1 = j/H, 2 = k/W) is the outer one, and which two span a plane (p before q). */
export interface PlaneAxes {
  readonly outer: 0 | 1 | 2;
  readonly p: 0 | 1 | 2;
  readonly q: 0 | 1 | 2;
}

export interface BlendSink {
  accept(plane: FinishedPlane, axes: PlaneAxes): void;
}

/** Strides of voxel (i, j, k) in an i-fastest volume of `shape`, reordered as (outer, p, q). */
function volumeStrides(shape: readonly [number, number, number], axes: PlaneAxes): [number, number, number] {
  const s = [1, shape[0], shape[0] * shape[1]];
  return [s[axes.outer], s[axes.p], s[axes.q]];
}

/**
 * Streams the blend into a label map: argmax over channels of the weighted sums (the division by the weight sum
 * and MONAI's softmax are monotone per voxel, so they cannot change the winner), first maximum on ties like
 * torch.argmax. The label map is i-fastest, on the (unpadded) preprocessed grid.
 */
export class ArgmaxSink implements BlendSink {
  readonly labels: Uint8Array;
  constructor(private readonly shape: readonly [number, number, number]) {
    this.labels = new Uint8Array(shape[0] * shape[1] * shape[2]);
  }

  accept(pl: FinishedPlane, axes: PlaneAxes): void {
    const [so, sp, sq] = volumeStrides(this.shape, axes);
    const PQ = pl.P * pl.Q;
    for (let p = 0; p < pl.pLength; p++) {
      for (let q = 0; q < pl.qLength; q++) {
        const idx = (p + pl.pOffset) * pl.Q + (q + pl.qOffset);
        let best = pl.sums[idx];
        let arg = 0;
        for (let c = 1, o = idx + PQ; c < pl.channels; c++, o += PQ) {
          if (pl.sums[o] > best) {
            best = pl.sums[o];
            arg = c;
          }
        }
        this.labels[pl.index * so + p * sp + q * sq] = arg;
      }
    }
  }
}

/**
 * Materialises MONAI's blended output `[C, D, H, W]` (C order, W fastest), i.e. sums / weights. Only for small
 * images: this is exactly the full-volume, all-channel array the streaming design avoids.
 */
export class DenseLogitsSink implements BlendSink {
  private out: Float32Array | undefined;
  constructor(private readonly shape: readonly [number, number, number]) {}

  get logits(): Float32Array {
    if (!this.out) throw new Error('no plane was blended');
    return this.out;
  }

  accept(pl: FinishedPlane, axes: PlaneAxes): void {
    const [D, H, W] = this.shape;
    const V = D * H * W;
    this.out ??= new Float32Array(pl.channels * V);
    const cStride = [H * W, W, 1];
    const [so, sp, sq] = [cStride[axes.outer], cStride[axes.p], cStride[axes.q]];
    const PQ = pl.P * pl.Q;
    for (let p = 0; p < pl.pLength; p++) {
      for (let q = 0; q < pl.qLength; q++) {
        const idx = (p + pl.pOffset) * pl.Q + (q + pl.qOffset);
        const dst = pl.index * so + p * sp + q * sq;
        const w = pl.weights[idx];
        for (let c = 0; c < pl.channels; c++) this.out[c * V + dst] = pl.sums[c * PQ + idx] / w;
      }
    }
  }
}
