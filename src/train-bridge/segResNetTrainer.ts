import * as tf from '@tensorflow/tfjs';
import { AdamW, AdamWOptions } from './adamW';
import { diceCeLoss } from './diceCeLoss';
import { diceCeLossOnDevice } from './diceCeLossOnDevice';
import { Dims3, FeatureExtractor, TfFeatureExtractor, checkWindow } from './featureExtractor';
import { headLogits, headLossAndGradients, headLossValue } from './headStep';
import { activeBackendReadsSynchronously } from './tfBackend';
import { TfSegResNet } from './tfSegResNet';
import { TrainScope, isTrainable } from './trainScope';

/** One training window in the network's layout: C-order [D, H, W] image and labels (class indices). */
export interface TrainSample {
  readonly window: Float32Array;
  readonly labels: Uint8Array;
  readonly dims: Dims3;
}

export interface TrainerOptions {
  readonly scope: TrainScope;
  readonly optimizer: AdamWOptions;
  /** Dropout3d probability after convInit while the encoder trains (the bundle's network: 0.2). */
  readonly dropout?: number;
  /** The frozen network up to conv_final for scope `head`; defaults to the TensorFlow.js network itself. */
  readonly features?: FeatureExtractor;
  /**
   * DiceCELoss in plain tfjs operations on the device (diceCeLossOnDevice) instead of the lean one that reads per-class
   * sums back (diceCeLoss); defaults to true where the backend cannot read synchronously (webgpu).
   */
  readonly lossOnDevice?: boolean;
}

/** DiceCELoss + AdamW steps (SupervisedTrainer's iteration) on the parameters of one scope. */
export class SegResNetTrainer {
  readonly optimizer: AdamW;
  private readonly trainable: Map<string, tf.Variable>;
  private readonly features: FeatureExtractor;
  private readonly lossFn: (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Scalar;

  constructor(
    readonly net: TfSegResNet,
    readonly opts: TrainerOptions,
  ) {
    const onDevice = opts.lossOnDevice ?? !activeBackendReadsSynchronously();
    if (onDevice && opts.scope === 'head') {
      throw new Error(`scope head computes its loss in chunks with synchronous reads, which the ${tf.getBackend()} backend cannot do in Node: train scope decoder or all there`);
    }
    this.lossFn = onDevice ? diceCeLossOnDevice : diceCeLoss;
    this.optimizer = new AdamW(opts.optimizer);
    this.trainable = new Map([...net.params].filter(([k]) => isTrainable(opts.scope, k)));
    this.features = opts.features ?? new TfFeatureExtractor(net);
  }

  /** Loss and gradients (tfjs layout, keyed by state_dict name) at the current weights; the caller disposes the tensors. */
  async lossAndGradients(sample: TrainSample): Promise<{ loss: number; grads: Map<string, tf.Tensor> }> {
    this.check(sample);
    if (this.opts.scope === 'head') {
      return headLossAndGradients(this.net, await this.features.extract(sample.window, sample.dims), sample.labels);
    }
    const logitsFn = this.logitsFunction(sample);
    const labels = tf.tensor1d(Int32Array.from(sample.labels), 'int32');
    const names = new Map([...this.trainable].map(([k, v]) => [v.name, k]));
    const { value, grads } = tf.variableGrads(() => this.lossFn(logitsFn.run(), labels), [...this.trainable.values()]);
    labels.dispose();
    logitsFn.dispose();
    const loss = await value.array();
    value.dispose();
    const byKey = new Map<string, tf.Tensor>();
    for (const [name, g] of Object.entries(grads)) byKey.set(names.get(name)!, g);
    return { loss, grads: byKey };
  }

  /** The loss at the current weights (no gradient tape). */
  async loss(sample: TrainSample): Promise<number> {
    this.check(sample);
    if (this.opts.scope === 'head') return headLossValue(this.net, await this.features.extract(sample.window, sample.dims), sample.labels);
    const logitsFn = this.logitsFunction(sample);
    const value = tf.tidy(() => this.lossFn(logitsFn.run(), tf.tensor1d(Int32Array.from(sample.labels), 'int32')));
    logitsFn.dispose();
    const loss = await value.array();
    value.dispose();
    return loss;
  }

  /**
   * One optimizer step on a batch; returns the mean loss before it. DiceCELoss(batch=False) over a batch is the mean
   * of the per-sample losses, so per-sample gradients are averaged (one window in memory at a time).
   */
  async step(batch: TrainSample | readonly TrainSample[]): Promise<number> {
    const samples = Array.isArray(batch) ? (batch as readonly TrainSample[]) : [batch as TrainSample];
    if (samples.length === 0) throw new RangeError('training step on an empty batch');
    let total = 0;
    let sum: Map<string, tf.Tensor> | undefined;
    for (const sample of samples) {
      const { loss, grads } = await this.lossAndGradients(sample);
      total += loss;
      if (!sum) sum = grads;
      else {
        for (const [k, g] of grads) {
          const acc = sum.get(k)!;
          sum.set(k, acc.add(g));
          acc.dispose();
          g.dispose();
        }
      }
    }
    const mean = new Map([...sum!].map(([k, g]) => [k, samples.length === 1 ? g : tf.tidy(() => g.div(samples.length))]));
    if (samples.length > 1) for (const g of sum!.values()) g.dispose();
    const loss = total / samples.length;
    if (!Number.isFinite(loss)) {
      for (const g of mean.values()) g.dispose();
      throw new Error(`training diverged: loss is ${loss}`);
    }
    this.optimizer.step(this.trainable, mean);
    for (const g of mean.values()) g.dispose();
    return loss;
  }

  /** Logits of one window (eval mode), C order [classes, D, H, W]. */
  async predict(window: Float32Array, dims: Dims3): Promise<Float32Array> {
    checkWindow(window, dims);
    if (this.opts.scope === 'head') return headLogits(this.net, await this.features.extract(window, dims));
    const logitsFn = this.logitsFunction({ window, dims, labels: new Uint8Array(0) }, false);
    const out = tf.tidy(() => logitsFn.run().transpose());
    logitsFn.dispose();
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return data;
  }

  private check(sample: TrainSample): void {
    checkWindow(sample.window, sample.dims);
    const classes = this.net.spec.outChannels;
    if (sample.labels.length !== sample.window.length) throw new RangeError(`labels have ${sample.labels.length} voxels, the window ${sample.window.length}`);
    for (const v of sample.labels) if (v >= classes) throw new RangeError(`label value ${v} is not a class of this ${classes}-class network`);
  }

  /** Scopes `all` and `decoder`: what the gradient tape has to record (the frozen encoder runs beforehand, outside it). */
  private logitsFunction(s: TrainSample, training = true): { run: () => tf.Tensor2D; dispose: () => void } {
    const x = tf.tensor4d(s.window, [...s.dims, 1]);
    if (this.opts.scope === 'all') {
      return { run: () => this.net.forward(x, training ? (this.opts.dropout ?? 0) : 0), dispose: () => x.dispose() };
    }
    const down = tf.tidy(() => this.net.encode(x));
    x.dispose();
    return { run: () => this.net.head(this.net.decode(down)), dispose: () => down.forEach((t) => t.dispose()) };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
