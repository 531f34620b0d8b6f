import * as tf from '@tensorflow/tfjs';
import { AXES, type Tuple4 } from '../core/volume';
import { Act } from './conv3d';

export const GROUPS = 8;
export const GN_EPS = 1e-5;

/**
 * Mean over every axis but the group axis of [D, H, W, G, C/G], one axis at a time: the wasm backend sums in float32
 * sequentially, and a single reduction over a whole 96^3 window loses enough precision to flip ReLU gates.
 */
function groupMean(x: tf.Tensor5D): tf.Tensor5D {
  const [d, h, w, , cg] = x.shape;
  return x.sum(4, true).sum(2, true).sum(1, true).sum(0, true).div(d * h * w * cg);
}

/** GroupNorm's normalisation without the affine part: (x - mean) / sqrt(var + eps) per group (population variance). */
export function groupNormalize(x: Act): Act {
  const [d, h, w, c] = x.shape;
  const grouped = x.reshape<tf.Tensor5D>([d, h, w, GROUPS, c / GROUPS]);
  const centred = grouped.sub<tf.Tensor5D>(groupMean(grouped));
  const variance = groupMean(centred.square());
  return centred.mul(tf.rsqrt(variance.add(GN_EPS))).reshape([d, h, w, c]);
}

/** torch GroupNorm(8 groups, eps 1e-5, affine) on channels-last [D, H, W, C]. */
export function groupNorm(x: Act, gamma: tf.Tensor1D, beta: tf.Tensor1D): Act {
  return groupNormalize(x).mul(gamma).add(beta);
}

function rows(x: tf.Tensor3D, start: number, size: number): tf.Tensor3D {
  return x.slice([0, start, 0], [x.shape[0], size, x.shape[2]]);
}

/**
 * torch `Upsample(scale_factor=2, mode="trilinear", align_corners=False)`, one axis at a time. Output 2i samples
 * i - 1/4 and 2i+1 samples i + 1/4 (clamped at the borders), so the weights are exactly 3/4 and 1/4. Built from
 * slices, concats and a stack over rank-3 views [before, axis, after] (tfjs has no 3-D resize, and the wasm backend
 * slices rank-5 tensors very slowly), so its gradient works on every backend.
 */
export function upsampleTrilinear2x(x: Act): Act {
  let y = x;
  for (const axis of AXES) {
    const s: Tuple4<number> = [...y.shape];
    const n = s[axis];
    const v = y.reshape<tf.Tensor3D>([s.slice(0, axis).reduce((a, b) => a * b, 1), n, s.slice(axis + 1).reduce((a, b) => a * b, 1)]);
    const prev = n > 1 ? tf.concat([rows(v, 0, 1), rows(v, 0, n - 1)], 1) : v;
    const next = n > 1 ? tf.concat([rows(v, 1, n - 1), rows(v, n - 1, 1)], 1) : v;
    const main = v.mul(0.75);
    const even = main.add(prev.mul(0.25));
    const odd = main.add(next.mul(0.25));
    s[axis] *= 2;
    y = tf.stack([even, odd], 2).reshape<Act>(s);
  }
  return y;
}

/** torch Dropout3d in training mode on one sample: zeroes whole channels with probability p, scales the rest by 1/(1-p). */
export function dropoutChannels(x: Act, p: number): Act {
  if (p <= 0) return x;
  const keep = tf.randomUniform([1, 1, 1, x.shape[3]]).greaterEqual(p).cast('float32');
  return x.mul(keep.div(1 - p));
}
