import * as fs from 'node:fs';
import { OnnxFeatureExtractor } from '../../src/train-bridge/onnxFeatureExtractor';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import { defined } from '../helpers/defined';
import { describeWithOracle, maxAbsDiff, oracleFile, readF32 } from '../helpers/oracle';

describeWithOracle('frozen features for head-only training on onnxruntime', () => {
  test("equal MONAI's input to conv_final (tiny model, up_layers.2) within 1e-4", async () => {
    const index = JSON.parse(fs.readFileSync(oracleFile('tiny_intermediates', 'index.json'), 'utf8')) as { tensors: Record<string, { file: string; shape: number[] }> };
    const last = defined(index.tensors['up_layers.2'], 'up_layers.2 in the intermediates index');
    const extractor = await OnnxFeatureExtractor.fromStateDict(await readTorchStateDict(oracleFile('segresnet105_tiny_seed1.pt')), 2);
    try {
      expect(extractor.channels).toBe(8);
      const features = await extractor.extract(readF32(oracleFile('tiny_input_24.f32')), [24, 24, 24]);
      expect(last.shape).toEqual([1, 8, 24, 24, 24]);
      expect(maxAbsDiff(features, readF32(oracleFile('tiny_intermediates', last.file)))).toBeLessThan(1e-4);
    } finally {
      await extractor.dispose();
    }
  });
});
