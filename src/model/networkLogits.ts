import type { Batch5d, SegmentationNetwork } from './segmentationNetwork';

/**
 * The full logits [N, classes, D, H, W] of one window: `predict`, then the split-off head (with unit weights, which
 * is the head itself) when the network has one. For parity tests and the per-window benchmark; the pipeline blends
 * before the head instead.
 */
export async function networkLogits(network: SegmentationNetwork, batch: Batch5d): Promise<Float32Array> {
  const out = await network.predict(batch);
  const { head } = network;
  if (!head) return out.data;
  const [n, , d, h, w] = out.dims;
  if (n !== 1) throw new RangeError(`networkLogits takes one window at a time, got ${n}`);
  const voxels = d * h * w;
  const withWeights = new Float32Array(out.data.length + voxels);
  withWeights.set(out.data);
  withWeights.fill(1, out.data.length);
  return head.apply(withWeights, voxels);
}
