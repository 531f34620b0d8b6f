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

/** DiceCELoss of the head on frozen features, and its gradients for the conv_final parameters (tfjs layout). */
export function headLossAndGradients(net: TfSegResNet, features: Float32Array, labelValues: Uint8Array, trainable: ReadonlyMap<string, tf.Variable>): { loss: number; grads: Map<string, tf.Tensor> } {
  const c = net.spec.initFilters;
  const rows = normalizedFeatureRows(features, c);
  const labels = Int32Array.from(labelValues);
  const loss = headLoss(net, rows, labels);
  const names = [...trainable.keys()];
  const vars = [...trainable.values()];
  const sums = new Map<string, tf.Tensor>();
  for (const [start, n] of chunks(labels.length)) {
    const x = rowsTensor(rows, c, start, n);
    const chunkLabels = labels.subarray(start, start + n);
    const upstream = tf.tidy(() => loss.logitsGradient(net.headFromNormalized(x), chunkLabels, start));
    // sum(logits * dL/dlogits) has, for the chunk, exactly the parameter gradients of the loss.
    const { value, grads } = tf.variableGrads(() => tf.sum(net.headFromNormalized(x).mul(upstream)) as tf.Scalar, vars);
    value.dispose();
    upstream.dispose();
    x.dispose();
    vars.forEach((v, i) => {
      const g = grads[v.name];
      const prev = sums.get(names[i]);
      sums.set(names[i], prev ? tf.tidy(() => prev.add(g)) : g);
      if (prev) {
        prev.dispose();
        g.dispose();
      }
    });
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
