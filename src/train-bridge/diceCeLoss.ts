import * as tf from '@tensorflow/tfjs';
import { stagedSumAxis0 } from './stagedSum';

const SMOOTH = 1e-5;

export interface DiceCeParts {
  readonly loss: tf.Scalar;
  readonly dice: tf.Scalar;
  readonly ce: tf.Scalar;
}

interface Forward {
  readonly parts: DiceCeParts;
  readonly intersection: tf.Tensor1D;
  readonly denominator: tf.Tensor1D;
}

function forward(logits: tf.Tensor2D, labels: tf.Tensor1D): Forward {
  return tf.tidy(() => {
    const [voxels, classes] = logits.shape;
    const logp = tf.logSoftmax(logits);
    const y = tf.oneHot(labels, classes).cast('float32') as tf.Tensor2D;
    const ce = tf.neg(stagedSumAxis0(tf.sum(y.mul(logp), 1)).div(voxels)) as tf.Scalar;
    const p = tf.exp(logp);
    const intersection = stagedSumAxis0<tf.Tensor1D>(p.mul(y));
    const denominator = stagedSumAxis0<tf.Tensor1D>(y).add(stagedSumAxis0(p)).add(SMOOTH) as tf.Tensor1D;
    const dice = tf.mean(tf.sub(1, intersection.mul(2).add(SMOOTH).div(denominator))) as tf.Scalar;
    return { parts: { loss: dice.add(ce) as tf.Scalar, dice, ce }, intersection, denominator };
  });
}

/**
 * dLoss/dlogits, as the oracle README writes it (N voxels, C classes, D_c = sum(y) + sum(p) + s, I_c = sum(p*y)):
 * dCE/dz = (p - y)/N; dDice/dp = (-2y/D + (2I + s)/D^2)/C; dDice/dz = p * (dDice/dp - sum_c p * dDice/dp).
 */
function logitsGradient(logits: tf.Tensor2D, labels: tf.Tensor1D, dy: tf.Scalar): tf.Tensor2D {
  return tf.tidy(() => {
    const [voxels, classes] = logits.shape;
    const { intersection, denominator } = forward(logits, labels);
    const p = tf.softmax(logits);
    const y = tf.oneHot(labels, classes).cast('float32');
    const yWeight = denominator.reciprocal().mul(-2 / classes);
    const rowTerm = intersection.mul(2).add(SMOOTH).div(denominator.square()).div(classes);
    const dDiceDp = y.mul(yWeight).add(rowTerm);
    const centred = dDiceDp.sub(tf.sum(p.mul(dDiceDp), 1, true));
    return p.mul(centred).add(p.sub(y).div(voxels)).mul(dy) as tf.Tensor2D;
  });
}

/**
 * MONAI `DiceCELoss(to_onehot_y=True, softmax=True)` with every other argument at its default, for one sample:
 * `logits` rows [V, C] (one row per voxel), `labels` [V] int32 class indices.
 * dice = mean over all C classes (absent ones too, background included) of 1 - (2*sum(p*y) + 1e-5) / (sum(y) + sum(p) + 1e-5);
 * ce = mean over voxels of -log_softmax(logits)[label]; loss = dice + ce.
 */
export function diceCeLossParts(logits: tf.Tensor2D, labels: tf.Tensor1D): DiceCeParts {
  const f = forward(logits, labels);
  f.intersection.dispose();
  f.denominator.dispose();
  return f.parts;
}

/**
 * The loss with a hand-written gradient: autodiff through the parts above keeps about ten [V, C] tensors for the
 * backward pass (0.37 GB each at 96^3 x 105 classes), too much for the wasm backend's 4 GB heap next to the network;
 * this keeps only the logits and labels and recomputes the rest.
 */
const fusedLoss = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [logits, labels, save] = args as [tf.Tensor2D, tf.Tensor1D, tf.GradSaveFunc];
  save([logits, labels]);
  const { parts, intersection, denominator } = forward(logits, labels);
  intersection.dispose();
  denominator.dispose();
  parts.dice.dispose();
  parts.ce.dispose();
  return {
    value: parts.loss,
    gradFunc: (dy: tf.Scalar, saved: tf.Tensor[]) => {
      const [z, l] = saved as [tf.Tensor2D, tf.Tensor1D];
      return [logitsGradient(z, l, dy), tf.zerosLike(l)];
    },
  };
});

export function diceCeLoss(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return fusedLoss(logits, labels) as tf.Scalar;
}
