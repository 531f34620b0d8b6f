import * as tf from '@tensorflow/tfjs';
import { stagedSumAxis0 } from './stagedSum';

const SMOOTH = 1e-5;

export interface DiceCeParts {
  readonly loss: tf.Scalar;
  readonly dice: tf.Scalar;
  readonly ce: tf.Scalar;
}

/**
 * MONAI `DiceCELoss(to_onehot_y=True, softmax=True)` with every other argument at its default, for one sample:
 * `logits` rows [V, C] (one row per voxel), `labels` [V] int32 class indices.
 * dice = mean over all C classes (absent ones too, background included) of 1 - (2*sum(p*y) + 1e-5) / (sum(y) + sum(p) + 1e-5);
 * ce = mean over voxels of -log_softmax(logits)[label]; loss = dice + ce.
 */
export function diceCeLossParts(logits: tf.Tensor2D, labels: tf.Tensor1D): DiceCeParts {
  const classes = logits.shape[1];
  const logp = tf.logSoftmax(logits);
  const p = tf.exp(logp);
  const y = tf.oneHot(labels, classes).cast('float32') as tf.Tensor2D;
  const voxels = logits.shape[0];
  const ce = tf.neg(stagedSumAxis0(tf.sum(y.mul(logp), 1)).div(voxels));
  const intersection = stagedSumAxis0(p.mul(y));
  const denominator = stagedSumAxis0(y).add(stagedSumAxis0(p)).add(SMOOTH);
  const dice = tf.mean(tf.sub(1, intersection.mul(2).add(SMOOTH).div(denominator)));
  return { loss: dice.add(ce) as tf.Scalar, dice: dice as tf.Scalar, ce: ce as tf.Scalar };
}

export function diceCeLoss(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return diceCeLossParts(logits, labels).loss;
}
