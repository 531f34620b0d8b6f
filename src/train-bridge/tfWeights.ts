import * as tf from '@tensorflow/tfjs';
import { Float32Tensor, StateDict } from '../weights/tensor';

/**
 * Layout conversion between torch parameters and the tfjs ones used here:
 * 3-D conv weights [out, in, kd, kh, kw] <-> [kd, kh, kw, in, out]; 1x1x1 conv weights [out, in, 1, 1, 1] <-> [in, out];
 * vectors unchanged.
 */
export function torchToTf(t: Float32Tensor): tf.Tensor {
  const s = t.shape;
  if (s.length === 5 && s[2] === 1 && s[3] === 1 && s[4] === 1) return tf.tidy(() => tf.tensor(t.data, s.slice(0, 2)).transpose());
  if (s.length === 5) return tf.tidy(() => tf.tensor(t.data, [...s]).transpose([2, 3, 4, 1, 0]));
  if (s.length === 1) return tf.tensor1d(t.data);
  throw new RangeError(`unsupported parameter rank ${s.length} (shape [${s.join(', ')}])`);
}

/** Inverse of `torchToTf`, given the torch shape to restore (read asynchronously: the webgpu backend cannot read otherwise). */
export async function tfToTorch(x: tf.Tensor, torchShape: readonly number[]): Promise<Float32Tensor> {
  const back = tf.tidy(() => {
    if (torchShape.length === 5 && x.rank === 2) return x.transpose();
    if (torchShape.length === 5) return x.transpose([4, 3, 0, 1, 2]);
    return x.clone();
  });
  const data = (await back.data()) as Float32Array;
  back.dispose();
  return { shape: [...torchShape], data: Float32Array.from(data) };
}

/** Copies every parameter into a fresh state_dict (torch layout, state_dict order of `shapes`). */
export async function variablesToStateDict(vars: ReadonlyMap<string, tf.Tensor>, shapes: ReadonlyMap<string, readonly number[]>): Promise<StateDict> {
  const out = new Map<string, Float32Tensor>();
  for (const [key, shape] of shapes) {
    const v = vars.get(key);
    if (!v) throw new Error(`no tfjs variable for parameter "${key}"`);
    out.set(key, await tfToTorch(v, shape));
  }
  return out;
}
