import * as tf from '@tensorflow/tfjs';
import { DiceCe } from './diceCeLoss';
import { GN_EPS, GROUPS } from './layers';
import { TfSegResNet } from './tfSegResNet';

/** Voxels per chunk: keeps every [chunk, classes] tensor near 25 MB. */
const CHUNK = 65536;

/**
 * Frozen features [C, V] (C order, as a FeatureExtractor returns them) with conv_final's GroupNorm statistics. With
 * the features frozen, the group statistics are constants, so the head is per-voxel and runs in chunks of voxels;
 * only its loss couples voxels, through per-class sums (see DiceCe).
 */
class NormalizedFeatures {
  readonly voxels: number;
  private readonly mean: Float32Array;
  private readonly rstd: Float32Array;

  constructor(
    private readonly features: Float32Array,
    readonly channels: number,
  ) {
    this.voxels = features.length / channels;
    const perGroup = channels / GROUPS;
    this.mean = new Float32Array(channels);
    this.rstd = new Float32Array(channels);
    for (let g = 0; g < GROUPS; g++) {
      const part = features.subarray(g * perGroup * this.voxels, (g + 1) * perGroup * this.voxels);
      // Both loops run i over part's indices.
      let sum = 0;
      for (let i = 0; i < part.length; i++) sum += part[i]!;
      const mean = sum / part.length;
      let sq = 0;
      for (let i = 0; i < part.length; i++) sq += (part[i]! - mean) * (part[i]! - mean);
      this.mean.fill(mean, g * perGroup, (g + 1) * perGroup);
      this.rstd.fill(1 / Math.sqrt(sq / part.length + GN_EPS), g * perGroup, (g + 1) * perGroup);
    }
  }

  /** Normalised features of voxels [start, start + n), channel-major [C, n]. */
  columns(start: number, n: number): tf.Tensor2D {
    const block = new Float32Array(this.channels * n);
    for (let c = 0; c < this.channels; c++) block.set(this.features.subarray(c * this.voxels + start, c * this.voxels + start + n), c * n);
    const col = (v: Float32Array) => tf.tensor2d(v, [this.channels, 1]);
    return tf.tidy(() => tf.tensor2d(block, [this.channels, n]).sub(col(this.mean)).mul<tf.Tensor2D>(col(this.rstd)));
  }

  /** The same as rows [n, C], one voxel per row. */
  rows(start: number, n: number): tf.Tensor2D {
    return tf.tidy(() => this.columns(start, n).transpose());
  }
}

function* chunks(voxels: number): Generator<[number, number]> {
  for (let start = 0; start < voxels; start += CHUNK) yield [start, Math.min(CHUNK, voxels - start)];
}

/** The loss's per-class sums over all voxels, from the head's logits chunk by chunk. */
function headLoss(net: TfSegResNet, rows: NormalizedFeatures, labels: Int32Array): DiceCe {
  function* logitChunks() {
    for (const [start, n] of chunks(labels.length)) {
      const x = rows.rows(start, n);
      const logits = net.headFromNormalized(x);
      x.dispose();
      yield { logits, labels: labels.subarray(start, start + n) };
      logits.dispose();
    }
  }
  return new DiceCe(net.spec.outChannels, logitChunks());
}

const HEAD_KEYS = { gamma: 'conv_final.0.weight', beta: 'conv_final.0.bias', weight: 'conv_final.2.conv.weight', bias: 'conv_final.2.conv.bias' };

/**
 * Loss gradient and the head's backward pass for one chunk, by hand (u = x*gamma + beta, h = relu(u),
 * z = h W + b, G = dL/dz): dW = h^T G, db = 1^T G, du = (G W^T) * [u > 0], dgamma = 1^T (du * x), dbeta = 1^T du.
 * h^T comes from the channel-major features and column sums are products with a row of ones: the wasm backend's
 * transposes, axis-0 reductions and transposed products are 3-50x slower than its matrix products.
 */
function chunkGradients(net: TfSegResNet, loss: DiceCe, features: NormalizedFeatures, labels: Int32Array, start: number, n: number): Record<keyof typeof HEAD_KEYS, tf.Tensor> {
  return tf.tidy(() => {
    const p = (k: string) => net.params.get(k)!;
    const [gamma, beta] = [p(HEAD_KEYS.gamma), p(HEAD_KEYS.beta)];
    const columns = features.columns(start, n);
    const x = columns.transpose<tf.Tensor2D>();
    const u = x.mul(gamma).add<tf.Tensor2D>(beta);
    const z = tf.fused.matMul({ a: u.relu(), b: p(HEAD_KEYS.weight), bias: p(HEAD_KEYS.bias) }) as tf.Tensor2D;
    const upstream = loss.logitsGradient(z, labels.subarray(start, start + n), start);
    const hT = columns.mul(gamma.reshape([-1, 1])).add(beta.reshape([-1, 1])).relu<tf.Tensor2D>();
    const ones = tf.ones([1, n]);
    const du = tf.matMul(upstream, p(HEAD_KEYS.weight).transpose<tf.Tensor2D>()).mul(u.step());
    return {
      weight: tf.matMul(hT, upstream),
      bias: tf.matMul(ones, upstream).reshape([upstream.shape[1]]),
      gamma: tf.matMul(ones, du.mul<tf.Tensor2D>(x)).reshape([x.shape[1]]),
      beta: tf.matMul(ones, du as tf.Tensor2D).reshape([x.shape[1]]),
    };
  });
}

/** DiceCELoss of the head on frozen features, and its gradients for the four conv_final parameters (tfjs layout). */
export function headLossAndGradients(net: TfSegResNet, features: Float32Array, labelValues: Uint8Array): { loss: number; grads: Map<string, tf.Tensor> } {
  const rows = new NormalizedFeatures(features, net.spec.initFilters);
  const labels = Int32Array.from(labelValues);
  const loss = headLoss(net, rows, labels);
  const sums = new Map<string, tf.Tensor>();
  for (const [start, n] of chunks(labels.length)) {
    const g = chunkGradients(net, loss, rows, labels, start, n);
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
  return headLoss(net, new NormalizedFeatures(features, net.spec.initFilters), Int32Array.from(labels)).loss;
}

/** The head's logits on frozen features, C order [classes, V], chunked. */
export function headLogits(net: TfSegResNet, features: Float32Array): Float32Array {
  const classes = net.spec.outChannels;
  const rows = new NormalizedFeatures(features, net.spec.initFilters);
  const voxels = rows.voxels;
  const out = new Float32Array(classes * voxels);
  for (const [start, n] of chunks(voxels)) {
    const t = tf.tidy(() => net.headFromNormalized(rows.rows(start, n)).transpose());
    const part = t.dataSync();
    t.dispose();
    for (let k = 0; k < classes; k++) out.set(part.subarray(k * n, (k + 1) * n), k * voxels + start);
  }
  return out;
}
