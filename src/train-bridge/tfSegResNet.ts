import * as tf from '@tensorflow/tfjs';
import { SegResNetSpec, deriveSegResNetSpec, resBlockKeys } from '../model/segresnetSpec';
import { StateDict } from '../weights/tensor';
import { Act, Conv3dMode, conv1x1, conv3x3 } from './conv3d';
import { dropoutChannels, groupNorm, groupNormalize, upsampleTrilinear2x } from './layers';
import { torchToTf, variablesToStateDict } from './tfWeights';

/**
 * MONAI SegResNet (the bundle's network, any init_filters/blocks) in TensorFlow.js, built from the same named
 * tensors as the ONNX model. Activations are unbatched channels-last [D, H, W, C]; parameters are tf.Variables keyed
 * by their torch state_dict names. The forward is split at the two places training can freeze: encoder | decoder | head.
 */
export class TfSegResNet {
  readonly params: ReadonlyMap<string, tf.Variable>;
  private readonly torchShapes: ReadonlyMap<string, readonly number[]>;

  private constructor(
    readonly spec: SegResNetSpec,
    sd: StateDict,
    readonly convMode: Conv3dMode,
  ) {
    const params = new Map<string, tf.Variable>();
    const shapes = new Map<string, readonly number[]>();
    for (const [key, t] of sd) {
      const value = torchToTf(t);
      params.set(key, tf.variable(value, true, `${key}#${Math.random().toString(36).slice(2)}`));
      value.dispose();
      shapes.set(key, t.shape);
    }
    this.params = params;
    this.torchShapes = shapes;
  }

  static fromStateDict(sd: StateDict, convMode: Conv3dMode, source = 'weights'): TfSegResNet {
    return new TfSegResNet(deriveSegResNetSpec(sd, source), sd, convMode);
  }

  /** A copy of the current weights as a torch state_dict (same keys, order and shapes as the one loaded). */
  toStateDict(): Promise<StateDict> {
    return variablesToStateDict(this.params, this.torchShapes);
  }

  /** Overwrites the weights from a state_dict with the same keys and shapes. */
  assign(sd: StateDict): void {
    for (const [key, v] of this.params) {
      const t = sd.get(key);
      if (!t) throw new Error(`state_dict lacks parameter "${key}"`);
      tf.tidy(() => v.assign(torchToTf(t)));
    }
  }

  private p<T extends tf.Tensor>(key: string): T {
    const v = this.params.get(key);
    if (!v) throw new Error(`SegResNet parameter "${key}" missing`);
    return v as unknown as T;
  }

  /** Runs one layer in its own tidy scope, so a forward pass frees each layer's temporaries as it goes. */
  private layer(f: () => Act): Act {
    return tf.tidy(f);
  }

  private resBlock(x: Act, prefix: string): Act {
    return this.layer(() => this.resBlockBody(x, prefix));
  }

  private resBlockBody(x: Act, prefix: string): Act {
    const k = resBlockKeys(prefix);
    let y = groupNorm(x, this.p(`${k.norm1}.weight`), this.p(`${k.norm1}.bias`)).relu<Act>();
    y = conv3x3(y, this.p(k.conv1), 1, this.convMode);
    y = groupNorm(y, this.p(`${k.norm2}.weight`), this.p(`${k.norm2}.bias`)).relu<Act>();
    y = conv3x3(y, this.p(k.conv2), 1, this.convMode);
    return y.add<Act>(x);
  }

  /** convInit (+ Dropout3d when `dropout` > 0, as MONAI in train mode) and the down levels; returns every level's output. */
  encode(x: Act, dropout = 0): Act[] {
    let y = this.layer(() => dropoutChannels(conv3x3(x, this.p('convInit.conv.weight'), 1, this.convMode), dropout));
    const outs: Act[] = [];
    this.spec.blocksDown.forEach((n, i) => {
      const input = y;
      if (i > 0) y = this.layer(() => conv3x3(input, this.p(`down_layers.${i}.0.conv.weight`), 2, this.convMode));
      for (let b = 1; b <= n; b++) y = this.resBlock(y, `down_layers.${i}.${b}`);
      outs.push(y);
    });
    return outs;
  }

  /** Up levels: 1x1 conv, trilinear x2, add the skip, ResBlocks. Returns the init_filters-channel features before conv_final. */
  decode(down: readonly Act[]): Act {
    const level = (i: number): Act => {
      const x = down[i];
      if (!x) throw new RangeError(`decode: ${down.length} encoder outputs for ${this.spec.blocksUp.length} up levels`);
      return x;
    };
    let y = level(down.length - 1);
    this.spec.blocksUp.forEach((n, i) => {
      const input = y;
      const skip = level(down.length - 2 - i);
      y = this.layer(() => upsampleTrilinear2x(conv1x1(input, this.p(`up_samples.${i}.0.conv.weight`))).add(skip));
      for (let b = 0; b < n; b++) y = this.resBlock(y, `up_layers.${i}.${b}`);
    });
    return y;
  }

  /** conv_final (GroupNorm, ReLU, 1x1 conv with bias) on features [D, H, W, init_filters]; returns logits rows [D*H*W, out_channels]. */
  head(features: Act): tf.Tensor2D {
    const [d, h, w, c] = features.shape;
    return this.headFromNormalized(groupNormalize(features).reshape([d * h * w, c]));
  }

  /** conv_final after GroupNorm's normalisation: its affine, ReLU and the 1x1 conv, on any rows [n, init_filters]. */
  headFromNormalized(normalized: tf.Tensor2D): tf.Tensor2D {
    // tidy: called chunk by chunk outside any other scope (head-only training), where each chunk's intermediates
    // (three [n, init_filters] tensors) would otherwise stay allocated; inside a gradient tape it records the same ops.
    return tf.tidy(() => {
      const y = normalized.mul(this.p<tf.Tensor1D>('conv_final.0.weight')).add(this.p<tf.Tensor1D>('conv_final.0.bias')).relu();
      return tf.fused.matMul({ a: y, b: this.p<tf.Tensor2D>('conv_final.2.conv.weight'), bias: this.p<tf.Tensor1D>('conv_final.2.conv.bias') }) as tf.Tensor2D;
    });
  }

  /** Whole network on one [D, H, W, 1] window: logits rows [D*H*W, out_channels] (voxel order d, h, w). */
  forward(x: Act, dropout = 0): tf.Tensor2D {
    return this.head(this.decode(this.encode(x, dropout)));
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
  }
}
