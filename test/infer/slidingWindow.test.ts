import * as path from 'node:path';
import { buildSegResNetOnnx } from '../../src/model/buildSegResNetOnnx';
import { SegResNetSession } from '../../src/model/segresnetSession';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import { ArgmaxSink, BlendSink, DenseLogitsSink } from '../../src/infer/slidingWindow/blendSinks';
import { BlendedHead, HeadSink, withHead } from '../../src/infer/slidingWindow/headSink';
import { gaussianImportanceMap } from '../../src/infer/slidingWindow/importanceMap';
import { Predictor, slidingWindowInference } from '../../src/infer/slidingWindow/slidingWindowInference';
import { windowGrid } from '../../src/infer/slidingWindow/windowGrid';
import { argmaxChannels } from '../../src/infer/argmax';
import { Vec3 } from '../../src/core/volume';
import { nativeBlendKernel } from '../../src/model/dnnl/onednnAddon';
import { describeWithOneDnn } from '../helpers/engines';
import { FIXTURES_DIR, describeWithOracle, maxAbsDiff, oracleFile, readF32, readU8 } from '../helpers/oracle';

/** C-order [D][H][W] (last fastest) -> the i-fastest layout of Volume.data. */
function cOrderToIFastest(c: Float32Array, [D, H, W]: Vec3): Float32Array {
  const out = new Float32Array(c.length);
  for (let d = 0; d < D; d++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) out[d + D * (h + H * w)] = c[(d * H + h) * W + w]!; // inside [D, H, W]
  return out;
}

function iFastestToCOrder(v: Uint8Array, [D, H, W]: Vec3): Uint8Array {
  const out = new Uint8Array(v.length);
  for (let d = 0; d < D; d++) for (let h = 0; h < H; h++) for (let w = 0; w < W; w++) out[(d * H + h) * W + w] = v[d + D * (h + H * w)]!; // inside [D, H, W]
  return out;
}

/** The tiny model, either blending its logits or (split) blending the head's input and applying the head after. */
async function tinyPredictor(splitHead: boolean): Promise<{ predict: Predictor; sink: (inner: BlendSink) => BlendSink; close: () => Promise<void> }> {
  const weights = path.join(FIXTURES_DIR, 'model', 'segresnet105_tiny_seed1.pt');
  const session = await SegResNetSession.open(buildSegResNetOnnx(await readTorchStateDict(weights)).model, { threads: 2, splitHead });
  expect(session.head !== undefined).toBe(splitHead);
  return {
    predict: async (batch, count, roi) => (await session.predict({ data: batch, dims: [count, 1, ...roi] })).data,
    sink: (inner) => withHead(session.head, inner),
    close: () => session.close(),
  };
}

describe('sliding-window geometry (MONAI 1.4.0)', () => {
  test.each<[Vec3, number, number[][], Vec3]>([
    [[16, 26, 44], 24, [[0], [0, 2], [0, 18, 20]], [4, 0, 0]],
    [[287, 287, 397], 96, [[0, 72, 144, 191], [0, 72, 144, 191], [0, 72, 144, 216, 288, 301]], [0, 0, 0]],
    [[96, 97, 50], 96, [[0], [0, 1], [0]], [0, 0, 23]],
  ])('shape %j roi %d', (shape, roi, starts, padBefore) => {
    const grid = windowGrid(shape, [roi, roi, roi], 0.25);
    expect(grid.starts).toEqual(starts);
    expect(grid.padBefore).toEqual(padBefore);
  });

  test('rejects an overlap outside [0, 1)', () => {
    expect(() => windowGrid([10, 10, 10], [4, 4, 4], 1)).toThrow(/overlap must be in \[0, 1\), got 1/);
  });

  test('gaussian importance map: unnormalised peak, 1e-3 floor at the corners', () => {
    const map = gaussianImportanceMap([96, 96, 96]);
    const centre = map[(47 * 96 + 47) * 96 + 47];
    expect(centre).toBeCloseTo(Math.exp(-(3 * 0.25) / (2 * 144)), 6);
    expect(map[0]).toBeCloseTo(1e-3, 9);
    expect(Math.min(...map.subarray(0, 96))).toBeCloseTo(1e-3, 9);
  });
});

describeWithOracle('sliding window vs MONAI SlidingWindowInferer (tiny model, roi 24)', () => {
  const shape: Vec3 = [16, 26, 44];

  test.each([
    ['the logits', false],
    ['the head input, head applied after blending', true],
  ])('blending %s: every blended logit within 1e-4; streamed argmax equals the oracle and the unbounded blend', async (_, splitHead) => {
    const image = { data: cOrderToIFastest(readF32(oracleFile('sw_tiny_16x26x44_input.f32')), shape), shape };
    const { predict, sink, close } = await tinyPredictor(splitHead);
    try {
      const dense = new DenseLogitsSink(shape);
      let windows = 0;
      await slidingWindowInference(image, predict, sink(dense), { roi: [24, 24, 24], overlap: 0.25, onWindow: (d) => (windows = d) });
      expect(windows).toBe(6);
      expect(maxAbsDiff(dense.logits, readF32(oracleFile('sw_tiny_16x26x44_ov0.25_logits.f32')))).toBeLessThan(1e-4);

      const streamed = new ArgmaxSink(shape);
      await slidingWindowInference(image, predict, sink(streamed), { roi: [24, 24, 24], overlap: 0.25, batchSize: 4 });
      const labelsCOrder = iFastestToCOrder(streamed.labels, shape);
      const voxels = shape[0] * shape[1] * shape[2];
      expect(Buffer.from(labelsCOrder).equals(Buffer.from(argmaxChannels(dense.logits, 105, voxels)))).toBe(true);
      expect(Buffer.from(labelsCOrder).equals(Buffer.from(readU8(oracleFile('sw_tiny_16x26x44_ov0.25_argmax_u8.raw'))))).toBe(true);
    } finally {
      await close();
    }
  });
});

describe('sliding window memory bound', () => {
  // A deterministic 3-channel "model": channel c = input * (c - 1) + c * 0.1.
  const predict: Predictor = (batch, count, roi) => {
    const v = roi[0] * roi[1] * roi[2];
    const out = new Float32Array(count * 3 * v);
    for (let n = 0; n < count; n++) for (let c = 0; c < 3; c++) for (let i = 0; i < v; i++) out[(n * 3 + c) * v + i] = batch[n * v + i]! * (c - 1) + c * 0.1; // n < count windows of v voxels
    return Promise.resolve(out);
  };
  const image = (shape: Vec3) => ({ shape, data: new Float32Array(shape[0] * shape[1] * shape[2]).map((_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.011)) });

  // The longest axis is the outer one; each case puts it elsewhere, so rows run along the fastest axis or not.
  test.each<[Vec3]>([[[20, 18, 90]], [[90, 20, 18]], [[18, 90, 20]]])('streamed argmax equals the dense (unbounded) blend on a long image %j', async (shape) => {
    const dense = new DenseLogitsSink(shape);
    await slidingWindowInference(image(shape), predict, dense, { roi: [8, 8, 8], overlap: 0.25 });
    const streamed = new ArgmaxSink(shape);
    const stats = await slidingWindowInference(image(shape), predict, streamed, { roi: [8, 8, 8], overlap: 0.25, batchSize: 3 });
    expect(stats.windows).toBe(3 * 3 * 15);
    expect(stats.peakLiveRows).toBeGreaterThan(0);
    const voxels = shape[0] * shape[1] * shape[2];
    expect(Buffer.from(iFastestToCOrder(streamed.labels, shape)).equals(Buffer.from(argmaxChannels(dense.logits, 3, voxels)))).toBe(true);
  });

  describeWithOneDnn('with the addon', () => {
    // Non-cubic windows so that q is the window's fastest axis in one case and not in the others.
    test.each<[Vec3, Vec3]>([
      [[20, 18, 90], [8, 12, 16]],
      [[90, 20, 18], [16, 8, 12]],
      [[18, 90, 20], [12, 16, 8]],
      [[30, 31, 33], [16, 16, 16]],
    ])('its blend equals the JavaScript blend bit for bit on %j, roi %j', async (shape, roi) => {
      const js = new DenseLogitsSink(shape);
      await slidingWindowInference(image(shape), predict, js, { roi, overlap: 0.25 });
      const native = new DenseLogitsSink(shape);
      await slidingWindowInference(image(shape), predict, native, { roi, overlap: 0.25, blend: nativeBlendKernel(2) });
      expect(Buffer.from(native.logits.buffer).equals(Buffer.from(js.logits.buffer))).toBe(true);
      expect(js.logits.some((v) => v !== 0)).toBe(true);
    });

    test('refuses rows of the wrong length with an error', () => {
      const blend = nativeBlendKernel(1)!;
      const out = new Float32Array(2 * 8);
      const map = new Float32Array(8);
      expect(() => blend([new Float32Array(3)], [new Float32Array(2)], out, map, 2, [2, 2, 2], 0, 2, 1, 0, 2)).toThrow(/expected 4 rows/);
      const rows = () => Array.from({ length: 4 }, () => new Float32Array(3));
      expect(() => blend(rows(), rows(), out, map, 2, [2, 2, 2], 0, 2, 1, 0, 2)).toThrow(/a row has the wrong length/);
      expect(() => blend(rows(), rows(), out, map, 2, [2, 2, 2], 0, 2, 1, 5, 2)).toThrow(/q range is outside the rows/);
      expect(() => blend(rows(), rows(), out, new Float32Array(3), 2, [2, 2, 2], 0, 2, 1, 0, 2)).toThrow(/weight map size/);
    });
  });

  test('a linear head after blending, in chunks smaller than a row, equals blending the head outputs', async () => {
    const shape: Vec3 = [20, 18, 30];
    // Each output channel's three weights, then its bias.
    const HEAD: ReadonlyArray<readonly [number, number, number, number]> = [[0.5, -1, 2, 0.1], [1, 1, 1, -0.2], [-0.3, 0.2, 0.9, 0.3], [0, 2, -1, 0]];
    const head: BlendedHead = {
      inChannels: 3,
      outChannels: 4,
      apply: (x, L) => {
        const y = new Float32Array(4 * L);
        // x: the three blended channels and the blended weight (sum g), L voxels each.
        HEAD.forEach(([w0, w1, w2, bias], o) => {
          for (let l = 0; l < L; l++) y[o * L + l] = w0 * x[l]! + w1 * x[L + l]! + w2 * x[2 * L + l]! + bias * x[3 * L + l]!;
        });
        return Promise.resolve(y);
      },
    };
    const headFirst: Predictor = async (batch, count, roi) => {
      const v = roi[0] * roi[1] * roi[2];
      const f = await predict(batch, count, roi);
      const out = new Float32Array(count * 4 * v);
      for (let n = 0; n < count; n++) {
        HEAD.forEach(([w0, w1, w2, bias], o) => {
          for (let i = 0; i < v; i++) out[(n * 4 + o) * v + i] = w0 * f[n * 3 * v + i]! + w1 * f[(n * 3 + 1) * v + i]! + w2 * f[(n * 3 + 2) * v + i]! + bias;
        });
      }
      return out;
    };
    const expected = new DenseLogitsSink(shape);
    await slidingWindowInference(image(shape), headFirst, expected, { roi: [8, 8, 8], overlap: 0.25 });
    const dense = new DenseLogitsSink(shape);
    await slidingWindowInference(image(shape), predict, new HeadSink(head, dense, 7), { roi: [8, 8, 8], overlap: 0.25 });
    expect(maxAbsDiff(dense.logits, expected.logits)).toBeLessThan(1e-5);
    const streamed = new ArgmaxSink(shape);
    await slidingWindowInference(image(shape), predict, new HeadSink(head, streamed, 50), { roi: [8, 8, 8], overlap: 0.25 });
    expect(Buffer.from(iFastestToCOrder(streamed.labels, shape)).equals(Buffer.from(argmaxChannels(expected.logits, 4, dense.logits.length / 4)))).toBe(true);
  });

  test('live rows stay below roi x p side and do not grow with the image length', async () => {
    const peak = async (shape: Vec3) => (await slidingWindowInference(image(shape), predict, new ArgmaxSink(shape), { roi: [8, 8, 8], overlap: 0.25 })).peakLiveRows;
    const short = await peak([20, 18, 60]);
    const long = await peak([20, 18, 240]);
    // outer axis = the 60/240 side, p = the 20 side: a whole-plane buffer would hold 8 x 20 = 160 rows.
    expect(short).toBeLessThan(8 * 20);
    expect(long).toBe(short);
  });
});
