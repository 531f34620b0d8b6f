import * as path from 'node:path';
import { oneDnn, type OneDnnAddon } from '../../src/model/dnnl/onednnAddon';
import { OneDnnSession } from '../../src/model/dnnl/oneDnnSession';
import { buildSegResNetPlan } from '../../src/model/dnnl/segresnetPlan';
import { SegmentationRunner } from '../../src/infer/segmentationRunner';
import { wholeBodyRecipe } from '../../src/apps/totalseg/bundleRecipe';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import { describeWithOneDnn } from '../helpers/engines';
import { FIXTURES_DIR } from '../helpers/oracle';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { testImage, writeVolumeFile } from '../server/harness/imageFiles';

const TINY = path.join(FIXTURES_DIR, 'model', 'segresnet105_tiny_seed1.pt');

describeWithOneDnn('oneDNN engine: the addon refuses bad input with an error, never a crash', () => {
  let addon: OneDnnAddon;
  beforeAll(() => {
    const dnnl = oneDnn();
    if (!dnnl.available) throw new Error(dnnl.reason);
    addon = dnnl.addon;
  });

  test('window sides that the network cannot halve, wrong channels and wrong lengths are refused', async () => {
    const s = await OneDnnSession.open(TINY, { threads: 1 });
    try {
      await expect(s.predict({ data: new Float32Array(12 ** 3), dims: [1, 1, 12, 12, 12] })).rejects.toThrow(/each side must be a multiple of 8/);
      await expect(s.predict({ data: new Float32Array(2 * 8 ** 3), dims: [1, 2, 8, 8, 8] })).rejects.toThrow(/takes 1 input channel/);
      await expect(s.predict({ data: new Float32Array(100), dims: [1, 1, 8, 8, 8] })).rejects.toThrow(/input has 100 values, dims say 512/);
    } finally {
      await s.close();
    }
  });

  test('concurrent batches queue and give the same answer; after close it refuses', async () => {
    const s = await OneDnnSession.open(TINY, { threads: 1 });
    const data = new Float32Array(16 ** 3).map((_, i) => Math.sin(i));
    const [a, b] = await Promise.all([s.predict({ data, dims: [1, 1, 16, 16, 16] }), s.predict({ data, dims: [1, 1, 16, 16, 16] })]);
    expect(a.dims).toEqual([1, 8, 16, 16, 16]);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    await s.close();
    await expect(s.predict({ data, dims: [1, 1, 16, 16, 16] })).rejects.toThrow(/released/);
  });

  test('malformed plans are refused with the reason', async () => {
    const plan = buildSegResNetPlan(await readTorchStateDict(TINY));
    const good = { precision: 'fp32' as const, layout: 'nxc' as const, buffers: plan.buffers, input: plan.input, output: plan.output, ops: plan.ops };
    const bad: Array<[string, unknown, RegExp]> = [
      ['precision', { ...good, precision: 'fp64' }, /precision must be fp32 or bf16/],
      ['output buffer', { ...good, output: 9999 }, /bad buffer numbers/],
      ['buffer count', { ...good, buffers: -1 }, /bad buffer numbers/],
      ['missing ops', { ...good, ops: undefined }, /ops must be an array/],
      ['unknown op', { ...good, ops: [{ kind: 'softmax', src: 0, dst: 1 }] }, /unknown kind softmax/],
      ['in-place op', { ...good, ops: [{ ...plan.ops[0], dst: plan.input }] }, /bad buffers/],
      ['short weights', { ...good, ops: [{ ...plan.ops[0], weights: new Float32Array(3) }] }, /bad convolution/],
      ['weights not floats', { ...good, ops: [{ ...plan.ops[0], weights: [1, 2, 3] }] }, /weights must be a Float32Array/],
      ['not an object', 42, /missing precision|precision must be a string/],
    ];
    for (const [what, p, message] of bad) {
      let thrown = '';
      try {
        addon.createNetwork(p as never);
      } catch (e) {
        thrown = (e as Error).message;
      }
      expect([what, thrown]).toEqual([what, expect.stringMatching(message)]);
    }
    expect(() => addon.run({} as never, new Float32Array(1), [1, 1, 1, 1, 1], 1)).toThrow(/not a network/);
  });

  test('runs in the segmentation worker thread and names itself in the result', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-onednn-worker-'));
    try {
      const input = path.join(dir, 'ct.nii.gz');
      await writeVolumeFile(input, testImage([40, 36, 30]));
      const runner = new SegmentationRunner({ threads: 1, engine: 'onednn' });
      try {
        const result = await runner.segment({ inputPath: input, outputPath: path.join(dir, 'labels.nii.gz'), recipe: { ...wholeBodyRecipe('lowres'), roi: [16, 16, 16] }, modelPath: TINY, precision: 'bf16' });
        expect(result.engine).toMatch(/^onednn \d+\.\d+\.\d+ .*, bf16$/);
        expect(result.labelCounts.reduce((s, n) => s + n, 0)).toBe(40 * 36 * 30);
      } finally {
        await runner.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
