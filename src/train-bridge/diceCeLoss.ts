import * as tf from '@tensorflow/tfjs';

/** MONAI DiceLoss's smooth_nr and smooth_dr. */
export const DICE_SMOOTH = 1e-5;

/** What one chunk of voxels contributes to the loss: only [V] and [C] quantities leave the backend. */
interface ChunkStats {
  readonly labels: Int32Array;
  /** log-softmax at each voxel's own class. */
  readonly logpAtLabel: Float32Array;
  /** sum over the chunk's voxels of softmax, per class. */
  readonly pSum: Float32Array;
}

function chunkStats(logits: tf.Tensor2D, labels: Int32Array): ChunkStats {
  const [voxels, classes] = logits.shape;
  if (labels.length !== voxels) throw new RangeError(`${labels.length} labels for ${voxels} voxels`);
  const flatIndex = new Int32Array(voxels);
  // v < voxels = labels.length.
  for (let v = 0; v < voxels; v++) {
    const label = labels[v]!;
    if (!(label >= 0 && label < classes)) throw new RangeError(`label ${label} is not one of the ${classes} classes`);
    flatIndex[v] = v * classes + label;
  }
  const [p, sum] = tf.tidy((): [tf.Tensor1D, tf.Tensor1D] => {
    const probs = tf.softmax(logits);
    return [tf.gather(probs.reshape<tf.Tensor1D>([voxels * classes]), tf.tensor1d(flatIndex, 'int32')), tf.matMul(tf.ones([1, voxels]), probs).reshape<tf.Tensor1D>([classes])];
  });
  const pAt = p.dataSync<'float32'>();
  const logpAtLabel = Float32Array.from(pAt, Math.log);
  p.dispose();
  // Where the label's probability is too small for float32, log_softmax as torch computes it: z - max - log(sum(exp(z - max))).
  const tiny: number[] = [];
  pAt.forEach((x, v) => {
    if (!(x > 1e-30)) tiny.push(v);
  });
  if (tiny.length) {
    const rows = tf.tidy(() => tf.gather(logits, tf.tensor1d(Int32Array.from(tiny), 'int32')));
    const z = rows.dataSync<'float32'>();
    rows.dispose();
    tiny.forEach((v, i) => {
      const row = z.subarray(i * classes, (i + 1) * classes);
      const max = row.reduce((a, b) => Math.max(a, b), -Infinity);
      const lse = max + Math.log(row.reduce((a, b) => a + Math.exp(b - max), 0));
      // v is a voxel of the chunk and its label one of the classes (checked above): both reads are in range.
      logpAtLabel[v] = row[labels[v]!]! - lse;
    });
  }
  const stats = { labels, logpAtLabel, pSum: sum.dataSync<'float32'>() };
  sum.dispose();
  return stats;
}

/**
 * MONAI `DiceCELoss(to_onehot_y=True, softmax=True)` (all other arguments default) of one sample whose logits may
 * arrive in chunks of voxels: dice = mean over all C classes (absent ones and background included) of
 * 1 - (2 sum(p y) + 1e-5) / (sum(y) + sum(p) + 1e-5), ce = mean over voxels of -log_softmax[label], loss = dice + ce.
 * Per-class sums are float64; nothing [V, C]-sized and one-hot is ever built.
 */
export class DiceCe {
  readonly voxels: number;
  readonly pAtLabel: Float64Array;
  private readonly intersection: Float64Array;
  private readonly denominator: Float64Array;
  readonly dice: number;
  readonly ce: number;

  /** `chunks` yields consecutive voxel ranges (logits rows, their labels) covering the sample once, in order. */
  constructor(
    readonly classes: number,
    chunks: Iterable<{ logits: tf.Tensor2D; labels: Int32Array }>,
  ) {
    const stats: ChunkStats[] = [];
    for (const c of chunks) stats.push(chunkStats(c.logits, c.labels));
    this.voxels = stats.reduce((n, s) => n + s.labels.length, 0);
    this.pAtLabel = new Float64Array(this.voxels);
    this.intersection = new Float64Array(classes);
    const counts = new Float64Array(classes);
    const sumP = new Float64Array(classes);
    let logLikelihood = 0;
    let v = 0;
    // In range: i runs over a chunk's voxels (labels and logpAtLabel have its length), v over the sample's (the sum of
    // the chunks' lengths), labels are classes (chunkStats checks them), k runs over the classes (pSum has C entries).
    for (const s of stats) {
      for (let i = 0; i < s.labels.length; i++, v++) {
        const label = s.labels[i]!;
        this.pAtLabel[v] = Math.exp(s.logpAtLabel[i]!);
        logLikelihood += s.logpAtLabel[i]!;
        this.intersection[label]! += this.pAtLabel[v]!;
        counts[label]!++;
      }
      for (let k = 0; k < classes; k++) sumP[k]! += s.pSum[k]!;
    }
    this.denominator = Float64Array.from(counts, (g, k) => g + sumP[k]! + DICE_SMOOTH);
    let dice = 0;
    for (let k = 0; k < classes; k++) dice += 1 - (2 * this.intersection[k]! + DICE_SMOOTH) / this.denominator[k]!;
    this.dice = dice / classes;
    this.ce = -logLikelihood / this.voxels;
  }

  get loss(): number {
    return this.dice + this.ce;
  }

  /**
   * upstream * dLoss/dlogits for the voxels [start, start + rows) (oracle README: dCE/dz = (p - y)/N;
   * dDice/dp = (-2y/D + (2I + s)/D^2)/C; dDice/dz = p (dDice/dp - sum_c p dDice/dp)), rearranged as
   * p * (r + 1/N - s_v) plus, at each voxel's own class only, p a - 1/N, where r_c = (2I_c + s)/(C D_c^2),
   * a_c = -2/(C D_c), s_v = p[v, l_v] a_{l_v} + sum_c p[v, c] r_c. At most three chunk-sized [V, C] tensors live at once.
   */
  logitsGradient(logits: tf.Tensor2D, labels: Int32Array, start: number, upstream = 1): tf.Tensor2D {
    const [rows, classes] = logits.shape;
    const n = this.voxels;
    if (classes !== this.classes || !(start >= 0 && start + rows <= n) || labels.length < rows) {
      throw new RangeError(`logitsGradient: ${rows} rows x ${classes} classes from voxel ${start} (${labels.length} labels) do not lie in the sample's ${n} voxels x ${this.classes} classes`);
    }
    const r = Float32Array.from(this.intersection, (i, k) => (upstream * (2 * i + DICE_SMOOTH)) / (classes * this.denominator[k]! ** 2));
    const a = Float64Array.from(this.denominator, (d) => (-2 * upstream) / (classes * d));
    const p = tf.softmax(logits);
    const pr = tf.tidy(() => p.matMul(tf.tensor2d(r, [classes, 1])).dataSync<'float32'>());
    const shift = new Float32Array(rows);
    const own = new Float32Array(rows);
    const indices = new Int32Array(2 * rows);
    // In range (checked above): start + v is a voxel of the sample, labels[v] one of the classes (a has C entries), pr
    // has one entry per row.
    for (let v = 0; v < rows; v++) {
      const label = labels[v]!;
      const pa = this.pAtLabel[start + v]! * a[label]!;
      shift[v] = upstream / n - (pa + pr[v]!);
      own[v] = pa - upstream / n;
      indices[2 * v] = v;
      indices[2 * v + 1] = label;
    }
    const scaled = tf.tidy(() => p.mul(tf.tensor1d(r)));
    const shifted = tf.tidy(() => p.mul(tf.tensor2d(shift, [rows, 1])));
    p.dispose();
    const dense = scaled.add<tf.Tensor2D>(shifted);
    scaled.dispose();
    shifted.dispose();
    const grad = tf.tidy(() => {
      const idx = tf.tensor2d(indices, [rows, 2], 'int32');
      return tf.tensorScatterUpdate(dense, idx, tf.gatherND(dense, idx).add(tf.tensor1d(own)));
    });
    dense.dispose();
    return grad;
  }
}

const fusedLoss = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [logits, labels, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([logits]);
  const l = Int32Array.from(labels.dataSync());
  const loss = new DiceCe(logits.shape[1], [{ logits, labels: l }]);
  return {
    value: tf.scalar(loss.loss),
    gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => [loss.logitsGradient(saved[0] as tf.Tensor2D, l, 0, dy.dataSync()[0]), tf.zerosLike(labels)],
  };
});

/** DiceCELoss of one sample as a differentiable scalar: `logits` rows [V, C], `labels` [V] int32. */
export function diceCeLoss(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return fusedLoss(logits, labels);
}
