import { CachingFeatureExtractor } from '../../src/train-bridge/cachingFeatureExtractor';
import { TfFeatureExtractor } from '../../src/train-bridge/featureExtractor';
import { SegResNetTrainer } from '../../src/train-bridge/segResNetTrainer';
import { initTfBackend } from '../../src/train-bridge/tfBackend';
import { TfSegResNet } from '../../src/train-bridge/tfSegResNet';
import { trainSegResNet, validate } from '../../src/train-bridge/trainLoop';
import { defined } from '../helpers/defined';
import { describeWithOracle } from '../helpers/oracle';
import { craniumBonePair } from './craniumBone';
import { tinyWeights } from './tinyOracle';

/**
 * Head-only fine-tuning of the tiny seed-1 model on the real head CT, bone = HU > 300 (class 1), 6 mm grid
 * (48 x 48 x 32 after CropForeground), training on the whole volume, validating on it.
 *
 * The issue asks for bone Dice >= 0.7. That is out of reach for this model's head: its input is the 8 random
 * pre-head features of an untrained network, and the best linear classifier on them (least squares + best threshold)
 * reaches bone Dice 0.38 on this grid (0.41 at 3 mm, 0.43 at 4.5 mm; 0.33 for the gnrand model), while a threshold on
 * the image itself reaches 0.88. A 300-epoch head-only run at lr 3e-2 plateaus at 0.25. So this test asserts what head
 * training can show here: Dice from ~0 to >= 0.1 (measured 0.15) and a falling loss, at lr 1e-2 (the bundle's 1e-4
 * moves a random head too little in 25 steps). The >= 0.7 run is learningBundleSize.test.ts, on the 32-channel
 * bundle-size network.
 */
describeWithOracle('head-only fine-tuning on a real CT (tiny model, bone = HU > 300)', () => {
  test('bone Dice rises from ~0 and the loss falls', async () => {
    const info = await initTfBackend('wasm');
    const pair = await craniumBonePair(6, 8);
    const roi = pair.image.shape;
    expect(roi).toEqual([48, 48, 32]);

    const net = TfSegResNet.fromStateDict(await tinyWeights(), info.convMode);
    const features = new CachingFeatureExtractor(new TfFeatureExtractor(net));
    const probe = new SegResNetTrainer(net, { scope: 'head', optimizer: { lr: 1e-2, weightDecay: 1e-5 }, features });
    const before = await validate(probe, [pair], roi, roi, 0.25);
    probe.dispose();

    const result = await trainSegResNet(net, [pair], [], { scope: 'head', maxEpochs: 25, lr: 1e-2, roi, valCenterCrop: roi, valInterval: 5, features });
    expect(before).toBeLessThan(0.01);
    expect(result.bestMetric).toBeGreaterThanOrEqual(0.1);
    expect(result.lossHistory.at(-1)).toBeLessThan(defined(result.lossHistory[0], 'the first epoch loss') - 1);
    expect(features.misses).toBe(1);
    net.dispose();
  });
});
