import { CachingFeatureExtractor } from '../../src/train-bridge/cachingFeatureExtractor';
import { OnnxFeatureExtractor } from '../../src/train-bridge/onnxFeatureExtractor';
import { SegResNetTrainer } from '../../src/train-bridge/segResNetTrainer';
import { initTfBackend } from '../../src/train-bridge/tfBackend';
import { TfSegResNet } from '../../src/train-bridge/tfSegResNet';
import { trainSegResNet, validate } from '../../src/train-bridge/trainLoop';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import { describeWithOracle, oracleFile } from '../helpers/oracle';
import { craniumBonePair } from './craniumBone';

/**
 * The learning test, on the bundle-size network: head-only fine-tuning (conv_final, frozen features from
 * onnxruntime) of the seed-0 SegResNet on the real head CT with bone = HU > 300 as class 1, at the bundle's lowres
 * 3 mm spacing (96 x 96 x 64 after CropForeground with k_divisible 16), the bundle's DiceCELoss over all 105 classes
 * and AdamW, training and validating on the volume.
 *
 * Why not the tiny model, as the issue asks: its 8 random pre-head channels do not carry enough to separate bone. The
 * best any head does on them is about 0.3-0.4 (PyTorch, 400 Adam steps on a two-class head at 3 mm: 0.30; least
 * squares plus best threshold: 0.38), so learning.test.ts asserts only a rise there. The bundle-size network's 32
 * channels allow 0.76 (same PyTorch run). Measured here: 0.02 at 10 steps, 0.63 at 20, 0.72 at 50 and 60, about 3 s
 * per step. lr 6e-2 instead of the bundle's 1e-4, which moves a random head too little in 60 steps.
 */
describeWithOracle('head-only fine-tuning of the bundle-size network on a real CT (bone = HU > 300)', () => {
  test('bone Dice on the training volume rises from ~0 to >= 0.7 in 60 steps', async () => {
    const info = await initTfBackend('wasm');
    const pair = await craniumBonePair(3, 16);
    const roi = pair.image.shape;
    expect(roi).toEqual([96, 96, 64]);

    const sd = await readTorchStateDict(oracleFile('segresnet105_seed0.pt'));
    const net = TfSegResNet.fromStateDict(sd, info.convMode);
    const features = new CachingFeatureExtractor(await OnnxFeatureExtractor.fromStateDict(sd, 2));
    try {
      const probe = new SegResNetTrainer(net, { scope: 'head', optimizer: { lr: 6e-2, weightDecay: 1e-5 }, features });
      const before = await validate(probe, [pair], roi, roi, 0.25);
      probe.dispose();
      const result = await trainSegResNet(net, [pair], [], { scope: 'head', maxEpochs: 60, lr: 6e-2, batchSize: 1, roi, valCenterCrop: roi, valInterval: 20, features });
      expect(before).toBeLessThan(0.01);
      expect(result.bestMetric).toBeGreaterThanOrEqual(0.7);
      expect(features.misses).toBe(1); // the frozen network ran once: every step and validation reused its features
    } finally {
      await features.dispose();
      net.dispose();
    }
  }, 600_000);
});
