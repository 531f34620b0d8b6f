import * as tf from '@tensorflow/tfjs';
import { diceCeLoss } from '../../src/train-bridge/diceCeLoss';
import { headLogits, headLossAndGradients, headLossValue } from '../../src/train-bridge/headStep';
import { initTfBackend } from '../../src/train-bridge/tfBackend';
import { TfSegResNet } from '../../src/train-bridge/tfSegResNet';
import { isTrainable } from '../../src/train-bridge/trainScope';
import { defined } from '../helpers/defined';
import { describeWithOracle, maxAbsDiff } from '../helpers/oracle';
import { compareArrays } from '../../bench/parity/trainParity';
import { tinyWeights } from './tinyOracle';

describeWithOracle('chunked head step (frozen features) vs whole-tensor autodiff', () => {
  test('2 chunks of voxels: same loss, gradients and logits as net.head + diceCeLoss', async () => {
    const info = await initTfBackend('wasm');
    const net = TfSegResNet.fromStateDict(await tinyWeights(), info.convMode);
    const dims = [48, 48, 40] as const; // 92160 voxels: more than one 65536-voxel chunk
    const voxels = dims[0] * dims[1] * dims[2];
    const features = Float32Array.from({ length: 8 * voxels }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 5)));
    const classes = [0, 1, 5, 104];
    const labels = Uint8Array.from({ length: voxels }, (_, v) => classes[(v * 7) % classes.length]!); // an index < classes.length
    const trainable = new Map([...net.params].filter(([k]) => isTrainable('head', k)));

    const chunked = headLossAndGradients(net, features, labels);
    const featureTensor = tf.tensor2d(features, [8, voxels]).transpose().reshape<tf.Tensor4D>([...dims, 8]);
    const labelTensor = tf.tensor1d(Int32Array.from(labels), 'int32');
    const whole = tf.variableGrads(() => diceCeLoss(net.head(featureTensor), labelTensor), [...trainable.values()]);

    expect(Math.abs(chunked.loss - whole.value.arraySync())).toBeLessThan(1e-5);
    for (const [key, v] of trainable) {
      const { rel } = compareArrays(chunked.grads.get(key)!.dataSync(), defined(whole.grads[v.name], `the whole-tensor gradient of ${key}`).dataSync());
      expect([key, rel < 1e-4]).toEqual([key, true]);
    }
    const logits = tf.tidy(() => net.head(featureTensor).transpose().dataSync());
    expect(maxAbsDiff(headLogits(net, features), logits)).toBeLessThan(1e-4);
    net.dispose();
  });

  test('leaves no tensors behind: a training run takes hundreds of steps', async () => {
    const info = await initTfBackend('wasm');
    const net = TfSegResNet.fromStateDict(await tinyWeights(), info.convMode);
    const voxels = 65536 + 1000; // two chunks
    const features = Float32Array.from({ length: 8 * voxels }, (_, i) => Math.cos(i * 0.11));
    const labels = Uint8Array.from({ length: voxels }, (_, v) => (v % 3 === 0 ? 1 : 0));
    const before = tf.memory().numTensors;
    const { grads } = headLossAndGradients(net, features, labels);
    expect(grads.size).toBe(4);
    for (const g of grads.values()) g.dispose();
    headLossValue(net, features, labels);
    headLogits(net, features);
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });
});
