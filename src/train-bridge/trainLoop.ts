import { ArgmaxSink } from '../infer/slidingWindow/blendSinks';
import { slidingWindowInference } from '../infer/slidingWindow/slidingWindowInference';
import { Vec3 } from '../core/volume';
import { StateDict } from '../weights/tensor';
import { cropToBox } from './cropForeground';
import { foregroundDice, meanOverImages } from './diceMetric';
import { FeatureExtractor } from './featureExtractor';
import { SegResNetTrainer, TrainSample } from './segResNetTrainer';
import { TfSegResNet } from './tfSegResNet';
import { TrainPair } from './trainPreprocess';
import { TrainScope } from './trainScope';
import { centerCropBox, extractWindow, randomCropStart, seededRandom } from './windows';

export interface TrainLoopOptions {
  readonly scope: TrainScope;
  readonly maxEpochs: number;
  /** AdamW learning rate (bundle: 1e-4) and weight decay (1e-5). */
  readonly lr?: number;
  readonly weightDecay?: number;
  /** Random crop size (bundle: 96^3). */
  readonly roi?: Vec3;
  /** Crops per optimizer step, one per volume (bundle: 4). */
  readonly batchSize?: number;
  /** Validate every this many epochs (and after the last one). */
  readonly valInterval?: number;
  /** Validation works on a centre crop of this size (bundle: 160^3), by sliding window with `roi`. */
  readonly valCenterCrop?: Vec3;
  readonly swOverlap?: number;
  /** Dropout3d after convInit while the encoder trains (bundle network: 0.2). */
  readonly dropout?: number;
  /** Seeds shuffling and crops (bundle: set_determinism(seed=123)). */
  readonly seed?: number;
  /** Frozen network up to conv_final for scope `head` (default: the TensorFlow.js network). */
  readonly features?: FeatureExtractor;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: TrainProgress) => void;
  readonly onLog?: (line: string) => void;
}

/** MONAI Label's train_stats fields, updated after every iteration and validation. */
export interface TrainProgress {
  readonly epoch: number;
  readonly totalEpochs: number;
  readonly iteration: number;
  readonly totalIterations: number;
  /** Mean training loss of the current epoch so far. */
  readonly loss: number;
  /** Latest validation mean Dice (NaN before the first validation). */
  readonly metric: number;
  readonly bestMetric: number;
  readonly bestEpoch: number;
  readonly elapsedMs: number;
}

export interface TrainResult {
  /** The weights with the best validation mean Dice (the initial ones if no validation ever improved on -1). */
  readonly best: StateDict;
  readonly bestMetric: number;
  readonly bestEpoch: number;
  readonly epochsRun: number;
  /** True when stopped through the signal; `best` is still the best so far. */
  readonly stopped: boolean;
  readonly lossHistory: readonly number[];
  readonly metricHistory: ReadonlyArray<{ epoch: number; metric: number }>;
}

/** Lets queued events (a worker's stop message, timers) run: tfjs's CPU backends resolve every await as a microtask. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!]; // 0 <= j <= i < a.length
  }
  return a;
}

/** Mean foreground Dice of the network on `pairs` (centre crop, sliding window, argmax). */
export async function validate(trainer: SegResNetTrainer, pairs: readonly TrainPair[], roi: Vec3, centerCrop: Vec3, overlap: number, signal?: AbortSignal): Promise<number> {
  const means: number[] = [];
  for (const pair of pairs) {
    const box = centerCropBox(pair.image.shape, centerCrop);
    const image = cropToBox(pair.image, box);
    const truth = cropToBox(pair.label, box);
    const sink = new ArgmaxSink(image.shape);
    const predict = async (batch: Float32Array, count: number, r: Vec3) => {
      if (count !== 1) throw new Error('validation runs one window at a time');
      await yieldToEventLoop();
      return trainer.predict(batch, r);
    };
    await slidingWindowInference(image, predict, sink, { roi, overlap, batchSize: 1, signal });
    means.push(foregroundDice(sink.labels, truth.data).mean);
  }
  return meanOverImages(means);
}

/**
 * Fine-tunes `net` in place the way the bundle's SupervisedTrainer does (DiceCELoss, AdamW, one random crop per volume
 * per epoch, shuffled batches), validating every `valInterval` epochs and keeping the best weights. With no validation
 * pairs, the training pairs are used for validation. Stops early, keeping the best so far, when `signal` aborts.
 */
export async function trainSegResNet(net: TfSegResNet, train: readonly TrainPair[], val: readonly TrainPair[], opts: TrainLoopOptions): Promise<TrainResult> {
  if (train.length === 0) throw new RangeError('no training pairs');
  if (!(Number.isInteger(opts.maxEpochs) && opts.maxEpochs >= 1)) throw new RangeError(`max_epochs must be a positive integer, got ${opts.maxEpochs}`);
  const roi = opts.roi ?? [96, 96, 96];
  const batchSize = Math.max(1, Math.floor(opts.batchSize ?? 4));
  const valInterval = Math.max(1, Math.floor(opts.valInterval ?? 1));
  const valPairs = val.length ? val : train;
  const random = seededRandom(opts.seed ?? 123);
  const log = opts.onLog ?? (() => undefined);
  const trainer = new SegResNetTrainer(net, {
    scope: opts.scope,
    optimizer: { lr: opts.lr ?? 1e-4, weightDecay: opts.weightDecay ?? 1e-5 },
    dropout: opts.dropout ?? 0.2,
    features: opts.features,
  });
  const started = Date.now();
  const stepsPerEpoch = Math.ceil(train.length / batchSize);
  const state = { epoch: 0, iteration: 0, metric: NaN, bestMetric: -1, bestEpoch: -1, loss: NaN };
  let best = await net.toStateDict();
  const lossHistory: number[] = [];
  const metricHistory: Array<{ epoch: number; metric: number }> = [];
  const progress = () =>
    opts.onProgress?.({ ...state, totalEpochs: opts.maxEpochs, totalIterations: opts.maxEpochs * stepsPerEpoch, elapsedMs: Date.now() - started });
  if (!val.length) log('no validation pairs: validating on the training pairs');
  log(`training ${opts.scope} scope: ${train.length} training / ${valPairs.length} validation volumes, ${opts.maxEpochs} epochs, batch ${batchSize}, roi ${roi.join('x')}`);

  try {
    for (let epoch = 1; epoch <= opts.maxEpochs && !opts.signal?.aborted; epoch++) {
      state.epoch = epoch;
      let lossSum = 0;
      let steps = 0;
      const order = shuffled(train, random);
      for (let b = 0; b < order.length && !opts.signal?.aborted; b += batchSize) {
        const batch: TrainSample[] = order.slice(b, b + batchSize).map((pair) => {
          const start = randomCropStart(pair.image.shape, roi, random);
          return { window: extractWindow(pair.image, start, roi), labels: extractWindow(pair.label, start, roi), dims: roi };
        });
        lossSum += await trainer.step(batch);
        await yieldToEventLoop();
        steps++;
        state.iteration++;
        state.loss = lossSum / steps;
        progress();
      }
      if (steps === 0) break;
      lossHistory.push(state.loss);
      log(`epoch ${epoch}/${opts.maxEpochs}: loss ${state.loss.toFixed(4)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      if ((epoch % valInterval === 0 || epoch === opts.maxEpochs) && !opts.signal?.aborted) {
        state.metric = await validate(trainer, valPairs, roi, opts.valCenterCrop ?? [160, 160, 160], opts.swOverlap ?? 0.25, opts.signal);
        metricHistory.push({ epoch, metric: state.metric });
        if (state.metric > state.bestMetric) {
          state.bestMetric = state.metric;
          state.bestEpoch = epoch;
          best = await net.toStateDict();
        }
        log(`epoch ${epoch}: validation mean Dice ${state.metric.toFixed(4)} (best ${state.bestMetric.toFixed(4)} at epoch ${state.bestEpoch})`);
        progress();
      }
    }
  } catch (e) {
    if (!opts.signal?.aborted) throw e;
  } finally {
    trainer.dispose();
  }
  const stopped = opts.signal?.aborted ?? false;
  if (stopped) log(`stopped at epoch ${state.epoch}; keeping the best weights (epoch ${state.bestEpoch})`);
  return { best, bestMetric: state.bestMetric, bestEpoch: state.bestEpoch, epochsRun: state.epoch, stopped, lossHistory, metricHistory };
}
