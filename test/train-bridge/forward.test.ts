import * as tf from '@tensorflow/tfjs';
import { TfBackendName, initTfBackend } from '../../src/train-bridge/tfBackend';
import { TfSegResNet } from '../../src/train-bridge/tfSegResNet';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import { describeWithOracle, maxAbsDiff, oracleFile, readF32 } from '../helpers/oracle';
import { describeWithWebGpuTraining } from './webGpuTraining';

/** Logits rows [V, C] (voxel order d, h, w) -> C-order [C, D, H, W], the torch layout of the oracle (read asynchronously: webgpu cannot otherwise). */
async function rowsToChannelsFirst(rows: tf.Tensor2D): Promise<Float32Array> {
  const t = tf.tidy(() => rows.transpose());
  rows.dispose();
  const data = (await t.data()) as Float32Array;
  t.dispose();
  return data;
}

// The cpu backend's seed-1 forward is also checked, through the loss, by gradientsCpu.test.ts.
const CASES: Array<[TfBackendName, string, string]> = [
  ['cpu', 'segresnet105_tiny_seed1_gnrand.pt', 'tiny_gnrand_logits_24.f32'],
  ['wasm', 'segresnet105_tiny_seed1.pt', 'tiny_logits_24.f32'],
  ['wasm', 'segresnet105_tiny_seed1_gnrand.pt', 'tiny_gnrand_logits_24.f32'],
];

describeWithOracle('TfSegResNet forward vs MONAI', () => {
  describeWithWebGpuTraining('on WebGPU', () => {
    test.each([
      ['segresnet105_tiny_seed1.pt', 'tiny_logits_24.f32'],
      ['segresnet105_tiny_seed1_gnrand.pt', 'tiny_gnrand_logits_24.f32'],
    ])('webgpu backend: %s logits within 1e-4', async (weights, logits) => {
      const info = await initTfBackend('webgpu');
      const net = TfSegResNet.fromStateDict(await readTorchStateDict(oracleFile(weights)), info.convMode);
      const x = tf.tensor4d(readF32(oracleFile('tiny_input_24.f32')), [24, 24, 24, 1]);
      const out = await rowsToChannelsFirst(tf.tidy(() => net.forward(x)));
      x.dispose();
      net.dispose();
      expect(maxAbsDiff(out, readF32(oracleFile(logits)))).toBeLessThan(1e-4);
    });
  });

  test.each(CASES)('%s backend: %s logits within 1e-4', async (backend, weights, logits) => {
    const info = await initTfBackend(backend);
    const net = TfSegResNet.fromStateDict(await readTorchStateDict(oracleFile(weights)), info.convMode);
    const x = tf.tensor4d(readF32(oracleFile('tiny_input_24.f32')), [24, 24, 24, 1]);
    const out = await rowsToChannelsFirst(tf.tidy(() => net.forward(x)));
    const diff = maxAbsDiff(out, readF32(oracleFile(logits)));
    x.dispose();
    net.dispose();
    expect(diff).toBeLessThan(1e-4);
  });
});
