import * as tf from '@tensorflow/tfjs';
import { diceCeLoss } from '../../src/train-bridge/diceCeLoss';
import { diceCeLossOnDevice } from '../../src/train-bridge/diceCeLossOnDevice';
import { SegResNetTrainer } from '../../src/train-bridge/segResNetTrainer';
import { initTfBackend } from '../../src/train-bridge/tfBackend';
import { TfSegResNet } from '../../src/train-bridge/tfSegResNet';
import { describeWithOracle } from '../helpers/oracle';
import { describeGradientParity } from './gradientParity';
import { tinySample, tinyWeights } from './tinyOracle';

// The webgpu backend's training path (no synchronous reads) checked on the CPU: against the oracle, and with reads
// made impossible the way Node's webgpu backend makes them.
describeGradientParity('wasm', true);

/**
 * Runs `work` with the active backend's synchronous read throwing, as tfjs-backend-webgpu's does in Node; its
 * asynchronous read (which the cpu backend builds on readSync) still works.
 */
async function withoutSyncReads<T>(work: () => Promise<T>): Promise<T> {
  const backend = tf.backend() as unknown as { readSync: (id: object) => unknown; read: (id: object) => Promise<unknown> };
  const { readSync, read } = backend;
  let reading = false;
  backend.readSync = (id) => {
    if (!reading) throw new ReferenceError('OffscreenCanvas is not defined');
    return readSync.call(backend, id);
  };
  backend.read = (id) => {
    reading = true;
    try {
      return read.call(backend, id);
    } finally {
      reading = false;
    }
  };
  try {
    return await work();
  } finally {
    Object.assign(backend, { readSync, read });
  }
}

describe('DiceCELoss on the device', () => {
  test('equals the lean loss, including a class absent from the labels and a label probability below 1e-30', async () => {
    await initTfBackend('cpu');
    const logits = tf.tensor2d([[0, 1, 2], [80, 0, -1], [3, 3, 3], [-70, 0, 10]]);
    const labels = tf.tensor1d([2, 1, 0, 0], 'int32');
    const [onDevice, lean] = [diceCeLossOnDevice(logits, labels), diceCeLoss(logits, labels)];
    expect(Math.abs((await onDevice.array()) - (await lean.array()))).toBeLessThan(1e-5);
    tf.dispose([logits, labels, onDevice, lean]);
  });
});

describeWithOracle('training without synchronous reads (the webgpu backend in Node)', () => {
  test('loss, gradients, a step, predict and the weights read back; the lean loss would read', async () => {
    // The cpu backend: its asynchronous read is built on readSync alone (the wasm backend's kernels read synchronously).
    const info = await initTfBackend('cpu');
    const sd = await tinyWeights();
    const sample = tinySample();
    const onDevice = new SegResNetTrainer(TfSegResNet.fromStateDict(sd, info.convMode), { scope: 'all', optimizer: { lr: 1e-3, weightDecay: 1e-5 }, lossOnDevice: true });
    await withoutSyncReads(async () => {
      const before = await onDevice.loss(sample);
      expect(await onDevice.step(sample)).toBeCloseTo(before, 5);
      expect((await onDevice.predict(sample.window, sample.dims)).length).toBe(105 * 24 ** 3);
      expect((await onDevice.net.toStateDict()).size).toBe(sd.size);
    });
    onDevice.dispose();
    onDevice.net.dispose();

    // The patch is what webgpu does: the lean loss reads per-class sums back and fails under it.
    const lean = new SegResNetTrainer(TfSegResNet.fromStateDict(sd, info.convMode), { scope: 'all', optimizer: { lr: 1e-3, weightDecay: 1e-5 }, lossOnDevice: false });
    await expect(withoutSyncReads(() => lean.loss(sample))).rejects.toThrow('OffscreenCanvas is not defined');
    lean.dispose();
    lean.net.dispose();
  });

  test('scope head (chunked, synchronous reads) is refused with the reason', async () => {
    const info = await initTfBackend('wasm');
    const net = TfSegResNet.fromStateDict(await tinyWeights(), info.convMode);
    expect(() => new SegResNetTrainer(net, { scope: 'head', optimizer: { lr: 1e-3, weightDecay: 1e-5 }, lossOnDevice: true })).toThrow(
      'scope head computes its loss in chunks with synchronous reads, which the wasm backend cannot do in Node: train scope decoder or all there',
    );
    net.dispose();
  });
});
