import * as tf from '@tensorflow/tfjs';

type Act = tf.Tensor4D;

/** Kernel slice a of a cubic [k, k, k, in, out] kernel: [k, k, in, out]. */
function plane(w: tf.Tensor5D, a: number): tf.Tensor4D {
  const [k, , , cin, cout] = w.shape;
  return w.slice([a, 0, 0, 0, 0], [1, k, k, cin, cout]).reshape([k, k, cin, cout]);
}

function depthSlice(x: Act, start: number, size: number): Act {
  const [, h, w, c] = x.shape;
  return x.slice([start, 0, 0, 0], [size, h, w, c]);
}

/** Sums the k terms one at a time, so that only two full-size tensors are alive at once. */
function accumulate(k: number, term: (a: number) => Act): Act {
  let acc = tf.tidy(() => term(0));
  for (let a = 1; a < k; a++) {
    const next = tf.tidy(() => acc.add<Act>(term(a)));
    acc.dispose();
    acc = next;
  }
  return acc;
}

/** y[d] = sum_a conv2d_valid(x[d + a], w[a]): a 'valid' 3-D convolution with a cubic kernel, depth as the batch. */
function forward(x: Act, w: tf.Tensor5D): Act {
  const k = w.shape[0];
  const depth = x.shape[0] - k + 1;
  return accumulate(k, (a) => tf.conv2d(depthSlice(x, a, depth), plane(w, a), 1, 'valid'));
}

/** The adjoint of `forward` with respect to x: full 2-D correlations with the flipped, transposed kernel planes. */
function inputGradient(dy: Act, w: tf.Tensor5D): Act {
  const k = w.shape[0];
  const dyPadded = tf.pad(dy, [[0, 0], [k - 1, k - 1], [k - 1, k - 1], [0, 0]]);
  const dx = accumulate(k, (a) => {
    const flipped = tf.reverse(plane(w, a), [0, 1]).transpose<tf.Tensor4D>([0, 1, 3, 2]);
    return tf.pad(tf.conv2d(dyPadded, flipped, 1, 'valid'), [[a, k - 1 - a], [0, 0], [0, 0], [0, 0]]);
  });
  dyPadded.dispose();
  return dx;
}

/**
 * The gradient with respect to w, plane by plane: dw[a][i, j, ci, co] = sum_{d,h,w} x[d+a, h+i, w+j, ci] dy[d, h, w, co],
 * itself a 'valid' 2-D convolution with the input channels as the batch, depth as the channels and dy as the kernel.
 */
function filterGradient(x: Act, dy: Act, k: number): tf.Tensor5D {
  return tf.tidy(() => {
    const depth = dy.shape[0];
    const kernel = dy.transpose<tf.Tensor4D>([1, 2, 0, 3]);
    const planes = Array.from({ length: k }, (_, a) =>
      tf.tidy(() => tf.conv2d(depthSlice(x, a, depth).transpose<tf.Tensor4D>([3, 1, 2, 0]), kernel, 1, 'valid').transpose([1, 2, 0, 3])),
    );
    return tf.stack(planes) as tf.Tensor5D;
  });
}

const conv = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
  const [x, w, save] = args as [Act, tf.Tensor5D, tf.GradSaveFunc];
  save([x, w]);
  return {
    value: forward(x, w),
    gradFunc: (dy: Act, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as [Act, tf.Tensor5D];
      return [inputGradient(dy, sw), filterGradient(sx, dy, sw.shape[0])];
    },
  };
});

/**
 * 'valid' 3-D cross-correlation of unbatched NDHWC `x` [D, H, W, in] with a cubic kernel `w` [k, k, k, in, out],
 * built only from Conv2D forward passes (and slices, pads, transposes), with an exact hand-written gradient.
 */
export function conv3dValidViaConv2d(x: Act, w: tf.Tensor5D): Act {
  const k = w.shape[0];
  if (w.shape[1] !== k || w.shape[2] !== k) throw new RangeError(`conv3dValidViaConv2d needs a cubic kernel, got [${w.shape.join(', ')}]`);
  return conv(x, w);
}
