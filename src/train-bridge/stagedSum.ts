import * as tf from '@tensorflow/tfjs';

const STAGE = 64;

function largestDivisorAtMost(n: number, limit: number): number {
  for (let f = Math.min(limit, n); f > 1; f--) if (n % f === 0) return f;
  return 1;
}

/**
 * Sum over axis 0 in stages of at most 64 terms. The wasm backend reduces in float32, one term after another; over
 * the ~10^5-10^6 voxels of a window that costs several significant digits, staging keeps it near float32 rounding.
 */
export function stagedSumAxis0<T extends tf.Tensor>(x: tf.Tensor): T {
  let y = x;
  let n = y.shape[0];
  const rest = y.shape.slice(1);
  while (n > STAGE) {
    const f = largestDivisorAtMost(n, STAGE);
    if (f === 1) break;
    y = y.reshape([n / f, f, ...rest]).sum(1);
    n /= f;
  }
  return y.sum(0) as T;
}
