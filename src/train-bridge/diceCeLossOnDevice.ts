import * as tf from '@tensorflow/tfjs';
import { DICE_SMOOTH } from './diceCeLoss';

/**
 * MONAI `DiceCELoss(to_onehot_y=True, softmax=True)` of one sample (`logits` rows [V, C], `labels` [V] int32) in plain
 * TensorFlow.js operations, differentiated by tfjs itself, so that nothing leaves the device. The webgpu backend
 * cannot read a tensor synchronously in Node (its readSync draws through an OffscreenCanvas, which Node lacks), and
 * `diceCeLoss` reads per-class sums back inside its custom gradient. This one builds [V, C] one-hot and product
 * tensors, which a GPU holds easily and the CPU backends need not (they keep the lean `diceCeLoss`); its sums are
 * float32 where `diceCeLoss` sums in float64.
 */
export function diceCeLossOnDevice(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const [voxels, classes] = logits.shape;
    const logp = tf.logSoftmax(logits);
    const p = tf.exp(logp);
    const y = tf.oneHot(labels, classes).toFloat();
    const ce = tf.sum(tf.mul(logp, y)).div(-voxels);
    const intersection = tf.sum(tf.mul(p, y), 0);
    const denominator = tf.sum(y, 0).add(tf.sum(p, 0));
    const dice = tf.mean(tf.sub(1, intersection.mul(2).add(DICE_SMOOTH).div(denominator.add(DICE_SMOOTH))));
    return dice.add<tf.Scalar>(ce);
  });
}
