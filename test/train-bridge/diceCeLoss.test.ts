import * as tf from '@tensorflow/tfjs';
import { DiceCe, diceCeLoss } from '../../src/train-bridge/diceCeLoss';
import { initTfBackend } from '../../src/train-bridge/tfBackend';

/** MONAI's DiceCELoss(to_onehot_y, softmax) for one sample, straight from its definition, in float64. */
function reference(z: number[][], labels: number[]): number {
  const C = z[0]?.length ?? 0;
  const logp = z.map((row) => {
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, b) => a + Math.exp(b - m), 0));
    return row.map((v) => v - lse);
  });
  /** log p of class c at voxel v. */
  const logpAt = (v: number, c: number): number => {
    const x = logp[v]?.[c];
    if (x === undefined) throw new RangeError(`no logit for voxel ${v}, class ${c} (${z.length} voxels of ${C} classes)`);
    return x;
  };
  const ce = -labels.reduce((a, l, v) => a + logpAt(v, l), 0) / labels.length;
  let dice = 0;
  for (let c = 0; c < C; c++) {
    let i = 0;
    let g = 0;
    let p = 0;
    labels.forEach((l, v) => {
      const pv = Math.exp(logpAt(v, c));
      p += pv;
      if (l === c) {
        i += pv;
        g++;
      }
    });
    dice += 1 - (2 * i + 1e-5) / (g + p + 1e-5);
  }
  return dice / C + ce;
}

describe('DiceCe (MONAI DiceCELoss, to_onehot_y + softmax)', () => {
  test.each([
    ['ordinary logits', [[0.1, 2, -1], [3, 0.5, 0.2], [-2, -1, 4], [0, 0, 0]], [1, 0, 2, 1]],
    ['a label whose probability underflows float32 (logit gap 200)', [[200, 0, 0], [0, 1, 0]], [1, 1]],
    ['a class absent from the labels', [[1, 2, 3], [3, 2, 1]], [0, 0]],
  ])('%s: loss as MONAI defines it, finite gradient', async (_name, z, labels) => {
    await initTfBackend('wasm');
    const logits = tf.tensor2d(z);
    const l = Int32Array.from(labels);
    const ours = new DiceCe(3, [{ logits, labels: l }]);
    expect(Math.abs(ours.loss - reference(z, labels))).toBeLessThan(1e-5 * Math.max(1, ours.loss));
    const g = tf.grad((x: tf.Tensor) => diceCeLoss(x as tf.Tensor2D, tf.tensor1d(l, 'int32')))(logits).dataSync();
    expect(g.every(Number.isFinite)).toBe(true);
  });

  test('labels outside the classes are refused', async () => {
    await initTfBackend('wasm');
    expect(() => new DiceCe(3, [{ logits: tf.zeros<tf.Rank.R2>([2, 3]), labels: Int32Array.from([0, 3]) }])).toThrow(/label 3/);
  });
});
