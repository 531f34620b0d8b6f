import * as tf from '@tensorflow/tfjs';
import { DiceCe } from './diceCeLoss';
import { GN_EPS, GROUPS } from './layers';
import { TfSegResNet } from './tfSegResNet';

/** Voxels per chunk: keeps every [chunk, classes] tensor near 25 MB. */
const CHUNK = 65536;

/**
 * Frozen features [C, V] (C order, as a FeatureExtractor returns them) normalised by conv_final's GroupNorm and laid
 * out as rows [V, C]. With the features frozen, the group statistics are constants, so the head is per-voxel and
 * can run in chunks; only its loss couples voxels, through per-class sums (see DiceCe).
 */
export function normalizedFeatureRows(features: Float32Array, channels: number): Float32Array {
  const voxels = features.length / channels;
  const perGroup = channels / GROUPS;
  const rows = new Float32Array(features.length);
  for (let g = 0; g < GROUPS; g++) {
    const part = features.subarray(g * perGroup * voxels, (g + 1) * perGroup * voxels);
    let sum = 0;
    for (const x of part) sum += x;
    const mean = sum / part.length;
    let sq = 0;
    for (const x of part) sq += (x - mean) * (x - mean);
    const rstd = 1 / Math.sqrt(sq / part.length + GN_EPS);
    for (let c = g * perGroup; c < (g + 1) * perGroup; c++) {
      for (let v = 0, src = c * voxels; v < voxels; v++, src++) rows[v * channels + c] = (features[src] - mean) * rstd;
    }
  }
  return rows;
}

function* chunks(voxels: number): Generator<[number, number]> {
  for (let start = 0; start < voxels; start += CHUNK) yield [start, Math.min(CHUNK, voxels - start)];
}

function rowsTensor(rows: Float32Array, channels: number, start: number, n: number): tf.Tensor2D {
  return tf.tensor2d(rows.subarray(start * channels, (start + n) * channels), [n, channels]);
}

/** The loss's per-class sums over all voxels, from the head's logits chunk by chunk. */
function headLoss(net: TfSegResNet, rows: Float32Array, labels: Int32Array): DiceCe {
  const c = net.spec.initFilters;
  function* logitChunks() {
    for (const [start, n] of chunks(labels.length)) {
      const logits = tf.tidy(() => net.headFromNormalized(rowsTensor(rows, c, start, n)));
      yield { logits, labels: labels.subarray(start, start + n) };
      logits.dispose();
    }
  }
  return new DiceCe(net.spec.outChannels, logitChunks());
}

const HEAD_KEYS = { gamma: 'conv_final.0.weight', beta: 'conv_final.0.bias', weight: 'conv_final.2.conv.weight', bias: 'conv_final.2.conv.bias' };

/**
 * The head's backward pass for one chunk, by hand (u = x*gamma + beta, h = relu(u), z = h W + b, G = dL/dz):
 * dW = h^T G, db = 1^T G, du = (G W^T) * [u > 0], dgamma = 1^T (du * x), dbeta = 1^T du. Column sums and the
 * transposed products are written as plain matrix products: the wasm backend's axis-0 reductions and transposeA/B
 * products are 10-50x slower.
 */
function chunkGradients(net: TfSegResNet, x: tf.Tensor2D, upstream: tf.Tensor2D): Record<keyof typeof HEAD_KEYS, tf.Tensor> {
  return tf.tidy(() => {
    const p = (k: string) => net.params.get(k)!;
    const ones = tf.ones([1, x.shape[0]]);
    const u = x.mul(p(HEAD_KEYS.gamma)).add(p(HEAD_KEYS.beta)) as tf.Tensor2D;
    const h = u.relu();
    const du = tf.matMul(upstream, p(HEAD_KEYS.weight).transpose() as tf.Tensor2D).mul(u.step());
    return {
      weight: tf.matMul(h.transpose(), upstream),
      bias: tf.matMul(ones, upstream).reshape([upstream.shape[1]]),
      gamma: tf.matMul(ones, du.mul(x) as tf.Tensor2D).reshape([x.shape[1]]),
      beta: tf.matMul(ones, du as tf.Tensor2D).reshape([x.shape[1]]),
    };
  });
}

/** DiceCELoss of the head on frozen features, and its gradients for the four conv_final parameters (tfjs layout). */
export function headLossAndGradients(net: TfSegResNet, features: Float32Array, labelValues: Uint8Array): { loss: number; grads: Map<string, tf.Tensor> } {
  const c = net.spec.initFilters;
  const rows = normalizedFeatureRows(features, c);
  const labels = Int32Array.from(labelValues);
  const loss = headLoss(net, rows, labels);
  const sums = new Map<string, tf.Tensor>();
  for (const [start, n] of chunks(labels.length)) {
    const x = rowsTensor(rows, c, start, n);
    const upstream = tf.tidy(() => loss.logitsGradient(net.headFromNormalized(x), labels.subarray(start, start + n), start));
    const g = chunkGradients(net, x, upstream);
    x.dispose();
    upstream.dispose();
    for (const [name, key] of Object.entries(HEAD_KEYS) as Array<[keyof typeof HEAD_KEYS, string]>) {
      const prev = sums.get(key);
      sums.set(key, prev ? tf.tidy(() => prev.add(g[name])) : g[name]);
      if (prev) {
        prev.dispose();
        g[name].dispose();
      }
    }
  }
  return { loss: loss.loss, grads: sums };
}

/** The head's loss alone (no gradients), chunked. */
export function headLossValue(net: TfSegResNet, features: Float32Array, labels: Uint8Array): number {
  return headLoss(net, normalizedFeatureRows(features, net.spec.initFilters), Int32Array.from(labels)).loss;
}

/** The head's logits on frozen features, C order [classes, V], chunked. */
export function headLogits(net: TfSegResNet, features: Float32Array): Float32Array {
  const c = net.spec.initFilters;
  const classes = net.spec.outChannels;
  const voxels = features.length / c;
  const rows = normalizedFeatureRows(features, c);
  const out = new Float32Array(classes * voxels);
  for (const [start, n] of chunks(voxels)) {
    const t = tf.tidy(() => net.headFromNormalized(rowsTensor(rows, c, start, n)).transpose());
    const part = t.dataSync();
    t.dispose();
    for (let k = 0; k < classes; k++) out.set(part.subarray(k * n, (k + 1) * n), k * voxels + start);
  }
  return out;
}
