import * as tf from '@tensorflow/tfjs';
import { stagedSumAxis0 } from './stagedSum';

const SMOOTH = 1e-5;

/** The per-class sums both passes need, in float64. */
interface Sums {
  readonly voxels: number;
  readonly classes: number;
  readonly labels: Int32Array;
  /** softmax probability of each voxel's own class. */
  readonly pAtLabel: Float64Array;
  /** I_c = sum(p*y), D_c = sum(y) + sum(p) + s. */
  readonly intersection: Float64Array;
  readonly denominator: Float64Array;
  readonly dice: number;
  readonly ce: number;
}

/**
 * Only [V] and [C] quantities leave the backend: the log-probability at each voxel's label (a gather) and the
 * per-class probability sums; everything indexed by the one-hot labels is then a per-voxel or per-class sum in JS.
 */
function computeSums(logits: tf.Tensor2D, labelsTensor: tf.Tensor1D): Sums {
  const [voxels, classes] = logits.shape;
  const labels = Int32Array.from(labelsTensor.dataSync());
  for (let v = 0; v < voxels; v++) {
    if (!(labels[v] >= 0 && labels[v] < classes)) throw new RangeError(`label ${labels[v]} is not one of the ${classes} classes`);
  }
  const flatIndex = Int32Array.from(labels, (l, v) => v * classes + l);
  const [logpAt, pSum] = tf.tidy(() => {
    const logp = tf.logSoftmax(logits);
    const at = tf.gather(logp.reshape([voxels * classes]), tf.tensor1d(flatIndex, 'int32'));
    return [at, stagedSumAxis0<tf.Tensor1D>(tf.exp(logp))];
  });
  const logpAtLabel = logpAt.dataSync();
  const sumP = pSum.dataSync();
  logpAt.dispose();
  pSum.dispose();
  const pAtLabel = new Float64Array(voxels);
  const intersection = new Float64Array(classes);
  const counts = new Float64Array(classes);
  let logLikelihood = 0;
  for (let v = 0; v < voxels; v++) {
    pAtLabel[v] = Math.exp(logpAtLabel[v]);
    logLikelihood += logpAtLabel[v];
    intersection[labels[v]] += pAtLabel[v];
    counts[labels[v]]++;
  }
  const denominator = Float64Array.from(counts, (g, c) => g + sumP[c] + SMOOTH);
  let dice = 0;
  for (let c = 0; c < classes; c++) dice += 1 - (2 * intersection[c] + SMOOTH) / denominator[c];
  return { voxels, classes, labels, pAtLabel, intersection, denominator, dice: dice / classes, ce: -logLikelihood / voxels };
}

/**
 * dLoss/dlogits (oracle README: dCE/dz = (p - y)/N; dDice/dp = (-2y/D + (2I + s)/D^2)/C; dDice/dz = p (dDice/dp -
 * sum_c p dDice/dp)), rearranged as p * (r + 1/N - s_v) plus, at each voxel's own class only, p a - 1/N, with
 * r_c = (2I_c + s)/(C D_c^2), a_c = -2/(C D_c), s_v = p[v, l_v] a_{l_v} + sum_c p[v, c] r_c.
 */
function logitsGradient(logits: tf.Tensor2D, s: Sums, upstream: number): tf.Tensor2D {
  const { voxels, classes, labels } = s;
  const r = Float32Array.from(s.intersection, (i, c) => (upstream * (2 * i + SMOOTH)) / (classes * s.denominator[c] ** 2));
  const a = Float64Array.from(s.denominator, (d) => (-2 * upstream) / (classes * d));
  return tf.tidy(() => {
    const p = tf.softmax(logits);
    const pr = p.matMul(tf.tensor2d(r, [classes, 1])).dataSync();
    const shift = new Float32Array(voxels);
    const atLabel = new Float32Array(voxels);
    const indices = new Int32Array(2 * voxels);
    for (let v = 0; v < voxels; v++) {
      shift[v] = upstream / voxels - (s.pAtLabel[v] * a[labels[v]] + pr[v]);
      atLabel[v] = s.pAtLabel[v] * a[labels[v]] - upstream / voxels;
      indices[2 * v] = v;
      indices[2 * v + 1] = labels[v];
    }
    const dense = p.mul(tf.tensor1d(r).add(tf.tensor2d(shift, [voxels, 1])));
    const sparse = tf.scatterND(tf.tensor2d(indices, [voxels, 2], 'int32'), tf.tensor1d(atLabel), [voxels, classes]);
    return dense.add(sparse) as tf.Tensor2D;
  });
}

const fusedLoss = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [logits, labels, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([logits]);
  const sums = computeSums(logits, labels);
  return {
    value: tf.scalar(sums.dice + sums.ce),
    gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => [logitsGradient(saved[0] as tf.Tensor2D, sums, dy.dataSync()[0]), tf.zerosLike(labels)],
  };
});

/**
 * MONAI `DiceCELoss(to_onehot_y=True, softmax=True)` with every other argument at its default, for one sample:
 * `logits` rows [V, C] (one row per voxel), `labels` [V] int32 class indices.
 * dice = mean over all C classes (absent ones too, background included) of 1 - (2*sum(p*y) + 1e-5) / (sum(y) + sum(p) + 1e-5);
 * ce = mean over voxels of -log_softmax(logits)[label]; loss = dice + ce.
 * The gradient is hand-written and never builds a one-hot [V, C] tensor: at 96^3 x 105 classes each [V, C] tensor is
 * 0.37 GB, and autodiff through the plain formula keeps about ten of them, too many for the wasm backend's 4 GB heap.
 */
export function diceCeLoss(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return fusedLoss(logits, labels) as tf.Scalar;
}

/** The loss's two terms, for logging and tests. */
export function diceCeLossParts(logits: tf.Tensor2D, labels: tf.Tensor1D): { dice: number; ce: number; loss: number } {
  const s = computeSums(logits, labels);
  return { dice: s.dice, ce: s.ce, loss: s.dice + s.ce };
}
