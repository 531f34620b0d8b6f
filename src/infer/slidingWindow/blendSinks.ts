/**
 * A finished row of the blend: weighted logit sums and weight sums for every voxel of one line along the q axis,
 * at (outer, p) in unpadded coordinates. Voxel q (padded) of channel c is `sums[c * Q + q]`.
 */
export interface FinishedRow {
  readonly outer: number;
  readonly p: number;
  readonly sums: Float32Array;
  readonly weights: Float32Array;
  readonly channels: number;
  /** Padded row length. */
  readonly Q: number;
  /** Offset of the unpadded image inside the padded row, and its length. */
  readonly qOffset: number;
  readonly qLength: number;
}

/** Which image axis (0 = i/D, 1 = j/H, 2 = k/W) is the outer one, then p, then q (a row runs along q). */
export interface PlaneAxes {
  readonly outer: 0 | 1 | 2;
  readonly p: 0 | 1 | 2;
  readonly q: 0 | 1 | 2;
}

/** Receives the rows that one window completed (in no particular order), before the next window runs. */
export interface BlendSink {
  accept(rows: readonly FinishedRow[], axes: PlaneAxes): void | Promise<void>;
}

/** Strides of voxel (i, j, k) in an i-fastest volume of `shape`, reordered as (outer, p, q). */
function volumeStrides(shape: readonly [number, number, number], axes: PlaneAxes): [number, number, number] {
  const s = [1, shape[0], shape[0] * shape[1]] as const;
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

  accept(rows: readonly FinishedRow[], axes: PlaneAxes): void {
    const [so, sp, sq] = volumeStrides(this.shape, axes);
    for (const row of rows) this.acceptRow(row, so, sp, sq);
  }

  /**
   * Labels already reduced upstream (onnxruntime's ArgMax after the head): row k's voxel q is `labels[starts[k] + q]`.
   */
  acceptLabels(rows: readonly Pick<FinishedRow, 'outer' | 'p' | 'qLength'>[], starts: readonly number[], labels: Uint8Array, axes: PlaneAxes): void {
    const [so, sp, sq] = volumeStrides(this.shape, axes);
    rows.forEach((row, k) => {
      const base = row.outer * so + row.p * sp;
      for (let q = 0, src = starts[k]!; q < row.qLength; q++, src++) this.labels[base + q * sq] = labels[src]!;
    });
  }

  private best = new Float32Array(0);
  private arg = new Uint8Array(0);

  private acceptRow(row: FinishedRow, so: number, sp: number, sq: number): void {
    const { sums, Q, channels, qOffset, qLength } = row;
    if (this.best.length < qLength) [this.best, this.arg] = [new Float32Array(qLength), new Uint8Array(qLength)];
    const { best, arg } = this;
    // Channel by channel: each pass reads one contiguous run, where voxel by voxel would stride Q floats per read.
    // Every index is inside the row (q < qLength <= Q, c < channels): the typed-array reads are in range.
    for (let q = 0; q < qLength; q++) {
      best[q] = sums[qOffset + q]!;
      arg[q] = 0;
    }
    for (let c = 1; c < channels; c++) {
      for (let q = 0, o = c * Q + qOffset; q < qLength; q++, o++) {
        if (sums[o]! > best[q]!) {
          best[q] = sums[o]!;
          arg[q] = c;
        }
      }
    }
    const base = row.outer * so + row.p * sp;
    for (let q = 0; q < qLength; q++) this.labels[base + q * sq] = arg[q]!;
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

  accept(rows: readonly FinishedRow[], axes: PlaneAxes): void {
    for (const row of rows) this.acceptRow(row, axes);
  }

  private acceptRow(row: FinishedRow, axes: PlaneAxes): void {
    const [D, H, W] = this.shape;
    const V = D * H * W;
    this.out ??= new Float32Array(row.channels * V);
    const cStride = [H * W, W, 1] as const;
    const base = row.outer * cStride[axes.outer] + row.p * cStride[axes.p];
    const sq = cStride[axes.q];
    for (let q = 0; q < row.qLength; q++) {
      const idx = q + row.qOffset;
      const w = row.weights[idx]!;
      for (let c = 0; c < row.channels; c++) this.out[c * V + base + q * sq] = row.sums[c * row.Q + idx]! / w;
    }
  }
}
