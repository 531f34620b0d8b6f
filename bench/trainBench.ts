/**
 * npm run bench:train [-- --weights file.pt] [--scopes head,decoder,all] [--steps 2] [--roi 96] [--backend auto|wasm|cpu|tensorflow]
 * Seconds per training step (DiceCELoss + AdamW, one roi^3 window) for each trainable scope of the bundle-size
 * SegResNet on the selected TensorFlow.js backend. For `head`, the frozen features are computed once (timed
 * separately: that is the part onnxruntime takes over in the server) and the step time is the head alone.
 */
import { parseArgs } from 'node:util';
import { CachingFeatureExtractor } from '../src/train-bridge/cachingFeatureExtractor';
import { TfFeatureExtractor } from '../src/train-bridge/featureExtractor';
import { SegResNetTrainer } from '../src/train-bridge/segResNetTrainer';
import { BackendPreference, initTfBackend } from '../src/train-bridge/tfBackend';
import { TfSegResNet } from '../src/train-bridge/tfSegResNet';
import { TrainScope, parseTrainScope } from '../src/train-bridge/trainScope';
import { readTorchStateDict } from '../src/weights/readTorchStateDict';
import { benchWeights, median, peakRssGiB, syntheticTrainSample } from './benchUtil';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      weights: { type: 'string' },
      scopes: { type: 'string', default: 'head,decoder,all' },
      steps: { type: 'string', default: '2' },
      roi: { type: 'string', default: '96' },
      backend: { type: 'string', default: 'auto' },
    },
  });
  const info = await initTfBackend(values.backend as BackendPreference);
  const weights = benchWeights(values.weights);
  const steps = Math.max(1, Number(values.steps));
  const roi = Number(values.roi);
  const s = syntheticTrainSample(roi);
  console.log(`TensorFlow.js backend ${info.backend} (${info.package}, conv3d ${info.convMode}); weights ${weights}; ${roi}^3 window, ${steps} step(s) per scope`);
  const sd = await readTorchStateDict(weights);
  for (const scope of values.scopes.split(',').map<TrainScope>(parseTrainScope)) {
    const net = TfSegResNet.fromStateDict(sd, info.convMode, weights);
    let features: CachingFeatureExtractor | undefined;
    if (scope === 'head') {
      features = new CachingFeatureExtractor(new TfFeatureExtractor(net));
      const t = performance.now();
      await features.extract(s.window, s.dims);
      console.log(`  frozen features (tfjs forward up to conv_final): ${((performance.now() - t) / 1000).toFixed(2)} s per window`);
    }
    const trainer = new SegResNetTrainer(net, { scope, optimizer: { lr: 1e-4, weightDecay: 1e-5 }, dropout: 0.2, features });
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      const t = performance.now();
      const loss = await trainer.step(s);
      const seconds = (performance.now() - t) / 1000;
      times.push(seconds);
      console.log(`  ${scope} step ${i + 1}: ${seconds.toFixed(2)} s (loss ${loss.toFixed(4)})`);
    }
    const steady = times.length > 1 ? times.slice(1) : times;
    console.log(`${scope}: ${median(steady).toFixed(2)} s per step (median${times.length > 1 ? ' after the first' : ''}); peak RSS so far ${peakRssGiB().toFixed(2)} GiB`);
    trainer.dispose();
    await features?.dispose();
    net.dispose();
  }
}

main().catch((e: unknown) => {
  console.error((e as Error).message);
  process.exitCode = 1;
});
