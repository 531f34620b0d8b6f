import * as tf from '@tensorflow/tfjs';
import { AXES } from '../core/volume';
import { conv3dValidViaConv2d } from './conv3dViaConv2d';

/**
 * How 3-D convolutions run. `builtin` is tfjs's Conv3D with its own gradient kernels (correct on the cpu and
 * native backends). `conv2d` decomposes each 3-D convolution into 2-D ones (fast XNNPACK kernels on the wasm backend,
 * whose own Conv3D backprop kernels are wrong in tfjs 4.22).
 */
export type Conv3dMode = 'builtin' | 'conv2d';

/** Unbatched NDHWC activations: [D, H, W, C] (the batch is always 1 here). */
export type Act = tf.Tensor4D;

/**
 * torch `Conv3d(k=3, padding=1, stride, bias=False)` on NDHWC data; `w` is [3, 3, 3, in, out].
 * Stride 2 needs even spatial sizes (SegResNet inputs are multiples of 8).
 */
export function conv3x3(x: Act, w: tf.Tensor5D, stride: 1 | 2, mode: Conv3dMode): Act {
  const padded = tf.pad(x, [[1, 1], [1, 1], [1, 1], [0, 0]]);
  if (mode === 'builtin') {
    return tf.conv3d(padded.expandDims<tf.Tensor5D>(0), w, stride, 'valid').squeeze<Act>([0]);
  }
  if (stride === 1) return conv3dValidViaConv2d(padded, w);
  const [d, h, wd] = x.shape;
  if (d % 2 || h % 2 || wd % 2) throw new RangeError(`stride-2 convolution needs even sizes, got [${d}, ${h}, ${wd}]`);
  return conv3dValidViaConv2d(spaceToDepth2(padded), stride2Weights(w));
}

/** torch 1x1x1 Conv3d (optional bias) as a matrix product; `w` is [in, out]. */
export function conv1x1(x: Act, w: tf.Tensor2D, bias?: tf.Tensor1D): Act {
  const [d, h, wd, c] = x.shape;
  const flat = tf.matMul(x.reshape([d * h * wd, c]), w);
  return (bias ? flat.add(bias) : flat).reshape([d, h, wd, w.shape[1]]);
}

/**
 * Splits each spatial axis by parity into channels: out[m, n, q, rw*4C + rh*2C + rd*C + c] = x[2m+rd, 2n+rh, 2q+rw, c].
 * A stride-2 kernel-3 convolution of x equals a stride-1 kernel-2 convolution of this with `stride2Weights`.
 */
export function spaceToDepth2(x: Act): Act {
  let y = x;
  for (const axis of AXES) {
    const s = y.shape;
    const outer = s.slice(0, axis).reduce((a, b) => a * b, 1) * (s[axis] / 2);
    const inner = s.slice(axis + 1).reduce((a, b) => a * b, 1);
    // Rank-3 views only: the wasm backend slices rank-5 tensors ~100x slower.
    const r = y.reshape([outer, 2, inner]);
    const half = [...s];
    half[axis] = s[axis] / 2;
    const part = (p: number) => r.slice([0, p, 0], [outer, 1, inner]).reshape<Act>(half);
    y = tf.concat([part(0), part(1)], 3);
  }
  return y;
}

const selectionCache = new Map<string, tf.Tensor2D>();

/** 0/1 matrix [64, 27] mapping 3x3x3 taps to the (jd, jh, jw, rw, rh, rd) taps of the parity-split kernel. */
function tapSelection(): tf.Tensor2D {
  const key = tf.getBackend();
  let s = selectionCache.get(key);
  if (!s) {
    const m = new Float32Array(64 * 27);
    let row = 0;
    for (let jd = 0; jd < 2; jd++)
      for (let jh = 0; jh < 2; jh++)
        for (let jw = 0; jw < 2; jw++)
          for (let rw = 0; rw < 2; rw++)
            for (let rh = 0; rh < 2; rh++)
              for (let rd = 0; rd < 2; rd++, row++) {
                const [a, b, c] = [2 * jd + rd, 2 * jh + rh, 2 * jw + rw];
                if (a < 3 && b < 3 && c < 3) m[row * 27 + a * 9 + b * 3 + c] = 1;
              }
    s = tf.keep(tf.tensor2d(m, [64, 27]));
    selectionCache.set(key, s);
  }
  return s;
}

/** The [2, 2, 2, 8*in, out] kernel that makes `spaceToDepth2` + stride 1 equal the 3x3x3 stride-2 convolution. */
export function stride2Weights(w: tf.Tensor5D): tf.Tensor5D {
  const [, , , cin, cout] = w.shape;
  return tf.matMul(tapSelection(), w.reshape([27, cin * cout])).reshape([2, 2, 2, 8 * cin, cout]);
}
