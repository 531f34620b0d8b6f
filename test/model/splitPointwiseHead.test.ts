import * as path from 'node:path';
import { buildSegResNetOnnx } from '../../src/model/buildSegResNetOnnx';
import { SegResNetSession } from '../../src/model/segresnetSession';
import { splitPointwiseHead } from '../../src/model/splitPointwiseHead';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import { defined } from '../helpers/defined';
import { FIXTURES_DIR, describeWithOracle, maxAbsDiff, oracleFile, readF32 } from '../helpers/oracle';

const tinyWeights = path.join(FIXTURES_DIR, 'model', 'segresnet105_tiny_seed1.pt');

describe('splitPointwiseHead', () => {
  test('cuts SegResNet before conv_final.2 and returns its weights as a [105, 8] matrix', async () => {
    const sd = await readTorchStateDict(tinyWeights);
    const split = defined(splitPointwiseHead(buildSegResNetOnnx(sd).model), 'a split graph');
    expect(split.head.inChannels).toBe(8);
    expect(split.head.outChannels).toBe(105);
    expect(Array.from(split.head.weight)).toEqual(Array.from(sd.get('conv_final.2.conv.weight')!.data));
    expect(Array.from(split.head.bias)).toEqual(Array.from(sd.get('conv_final.2.conv.bias')!.data));
  });

  test('leaves graphs that do not end in one pointwise Conv alone', async () => {
    const sd = await readTorchStateDict(tinyWeights);
    expect(splitPointwiseHead(buildSegResNetOnnx(sd, { featuresOnly: true }).model)).toBeUndefined();
    expect(splitPointwiseHead(buildSegResNetOnnx(sd, { exposeStages: true }).model)).toBeUndefined();
  });
});

describeWithOracle('split session vs MONAI (tiny model, 24^3)', () => {
  test('head applied to the backbone output with unit weights reproduces the oracle logits within 1e-4', async () => {
    const session = await SegResNetSession.open(buildSegResNetOnnx(await readTorchStateDict(tinyWeights)).model, { threads: 2 });
    try {
      const features = await session.predict({ data: readF32(oracleFile('tiny_input_24.f32')), dims: [1, 1, 24, 24, 24] });
      expect(features.dims).toEqual([1, 8, 24, 24, 24]);
      const voxels = 24 ** 3;
      const packed = new Float32Array(9 * voxels);
      packed.set(features.data);
      packed.fill(1, 8 * voxels);
      const logits = await session.head!.apply(packed, voxels);
      expect(maxAbsDiff(logits, readF32(oracleFile('tiny_logits_24.f32')))).toBeLessThan(1e-4);
    } finally {
      await session.close();
    }
  });
});
