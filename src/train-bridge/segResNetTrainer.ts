import * as tf from '@tensorflow/tfjs';
import { AdamW, AdamWOptions } from './adamW';
import { Act } from './conv3d';
import { diceCeLoss } from './diceCeLoss';
import { Dims3, FeatureExtractor, TfFeatureExtractor, checkWindow } from './featureExtractor';
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
}

/** DiceCELoss + AdamW steps (SupervisedTrainer's iteration) on the parameters of one scope. */
export class SegResNetTrainer {
  readonly optimizer: AdamW;
  private readonly trainable: Map<string, tf.Variable>;
  private readonly features: FeatureExtractor;

  constructor(
    readonly net: TfSegResNet,
    readonly opts: TrainerOptions,
  ) {
    this.optimizer = new AdamW(opts.optimizer);
    this.trainable = new Map([...net.params].filter(([k]) => isTrainable(opts.scope, k)));
    this.features = opts.features ?? new TfFeatureExtractor(net);
  }

  /** Loss and gradients (tfjs layout, keyed by state_dict name) at the current weights; the caller disposes the tensors. */
  async lossAndGradients(sample: TrainSample): Promise<{ loss: number; grads: Map<string, tf.Tensor> }> {
    this.check(sample);

    const logitsFn = await this.logitsFunction(sample);
    const labels = tf.tensor1d(Int32Array.from(sample.labels), 'int32');
    const names = new Map([...this.trainable].map(([k, v]) => [v.name, k]));
    const { value, grads } = tf.variableGrads(() => diceCeLoss(logitsFn.run(), labels), [...this.trainable.values()]);
    labels.dispose();
    logitsFn.dispose();
    const loss = (await value.data())[0];
    value.dispose();
    const byKey = new Map<string, tf.Tensor>();
    for (const [name, g] of Object.entries(grads)) byKey.set(names.get(name)!, g);
    return { loss, grads: byKey };
  }

  /** The loss at the current weights (no gradient tape). */
  async loss(sample: TrainSample): Promise<number> {
    this.check(sample);
    const logitsFn = await this.logitsFunction(sample);
    const value = tf.tidy(() => diceCeLoss(logitsFn.run(), tf.tensor1d(Int32Array.from(sample.labels), 'int32')));
    logitsFn.dispose();
    const loss = (await value.data())[0];
    value.dispose();
    return loss;
  }

  /** One optimizer step; returns the loss before it. */
  async step(sample: TrainSample): Promise<number> {
    const { loss, grads } = await this.lossAndGradients(sample);
    this.optimizer.step(this.trainable, grads);
    for (const g of grads.values()) g.dispose();
    if (!Number.isFinite(loss)) throw new Error(`training diverged: loss is ${loss}`);
    return loss;
  }

  private check(sample: TrainSample): void {
    checkWindow(sample.window, sample.dims);
    const classes = this.net.spec.outChannels;
    if (sample.labels.length !== sample.window.length) throw new RangeError(`labels have ${sample.labels.length} voxels, the window ${sample.window.length}`);
    for (const v of sample.labels) if (v >= classes) throw new RangeError(`label value ${v} is not a class of this ${classes}-class network`);
  }

  /** What the gradient tape has to record: the frozen part is computed beforehand, outside it. */
  private async logitsFunction(s: TrainSample): Promise<{ run: () => tf.Tensor2D; dispose: () => void }> {
    const voxels = s.window.length;
    if (this.opts.scope === 'head') {
      const f = await this.features.extract(s.window, s.dims);
      const c = this.features.channels;
      const feats = tf.tidy(() => tf.tensor2d(f, [c, voxels]).transpose().reshape([...s.dims, c]) as Act);
      return { run: () => this.net.head(feats), dispose: () => feats.dispose() };
    }
    const x = tf.tensor4d(s.window, [...s.dims, 1]) as Act;
    if (this.opts.scope === 'all') {
      return { run: () => this.net.forward(x, this.opts.dropout ?? 0), dispose: () => x.dispose() };
    }
    const down = tf.tidy(() => this.net.encode(x));
    x.dispose();
    return { run: () => this.net.head(this.net.decode(down)), dispose: () => down.forEach((t) => t.dispose()) };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
