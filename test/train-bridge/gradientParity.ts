import * as tf from '@tensorflow/tfjs';
import { SegResNetTrainer } from '../../src/train-bridge/segResNetTrainer';
import { TfBackendName, initTfBackend } from '../../src/train-bridge/tfBackend';
import { TfSegResNet } from '../../src/train-bridge/tfSegResNet';
import { describeWithOracle, oracleFile, readF32 } from '../helpers/oracle';
import { LOSS_TOLERANCE, tfGradientVerdict } from '../../bench/parity/trainParity';
import { tinySample, tinyWeights, trainStepJson } from './tinyOracle';

interface LossJson {
  DiceCELoss: { float64_exact: number };
}

/**
 * Loss and all 83 gradients on `backend` vs the oracle (README tolerances: rel L2 1e-4, abs 1e-6, exact zeros kept);
 * `lossOnDevice` picks the DiceCELoss in plain tfjs operations (the webgpu backend's) on any backend.
 */
export function describeGradientParity(backend: TfBackendName, lossOnDevice?: boolean): void {
  const loss = lossOnDevice === undefined ? '' : lossOnDevice ? ', loss on the device' : ', lean loss';
  describeWithOracle(`DiceCELoss and every gradient vs MONAI/torch (tiny model, ${backend} backend${loss})`, () => {
    test('loss within 1e-5; per tensor rel L2 < 1e-4 and max abs < 1e-6; exact zeros stay zero', async () => {
      const info = await initTfBackend(backend);
      const sd = await tinyWeights();
      const net = TfSegResNet.fromStateDict(sd, info.convMode);
      const trainer = new SegResNetTrainer(net, { scope: 'all', optimizer: { lr: 1e-3, weightDecay: 1e-5 }, lossOnDevice });
      const { loss, grads } = await trainer.lossAndGradients(tinySample());
      expect(Math.abs(loss - trainStepJson<LossJson>('loss.json').DiceCELoss.float64_exact)).toBeLessThan(LOSS_TOLERANCE);

      expect(grads.size).toBe(83);
      const v = await tfGradientVerdict(grads, sd, (key) => readF32(oracleFile('train_step', 'grad', `${key}.f32`)));
      console.log(`${backend}: loss ${loss}, worst gradient rel L2 ${v.worstRel.toExponential(2)}, max abs ${v.worstAbs.toExponential(2)}`);
      expect(v.worstRel).toBeLessThan(1e-4);
      expect(v.worstAbs).toBeLessThan(1e-6);
      expect(v.zerosOff).toBe(0);
      trainer.dispose();
      net.dispose();
      expect(tf.memory().numTensors).toBeLessThan(20);
    });
  });
}
