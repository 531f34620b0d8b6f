import * as tf from '@tensorflow/tfjs';
import { TfSegResNet } from './tfSegResNet';

export type Dims3 = readonly [number, number, number];

/**
 * The frozen part of the network for head-only training: SegResNet up to (not including) conv_final.
 * The onnxruntime implementation lives with the model code; `TfFeatureExtractor` is the TensorFlow.js one.
 */
export interface FeatureExtractor {
  /** Channels of the features (the network's init_filters). */
  readonly channels: number;
  /**
   * `window`: C-order [1, 1, D, H, W] float32 image window. Returns the C-order [1, channels, D, H, W] features,
   * the network's output before conv_final (eval mode).
   */
  extract(window: Float32Array, dims: Dims3): Promise<Float32Array>;
  dispose?(): void | Promise<void>;
}

export function checkWindow(window: Float32Array, dims: Dims3): void {
  if (dims.some((n) => !Number.isInteger(n) || n < 1) || window.length !== dims[0] * dims[1] * dims[2]) {
    throw new RangeError(`window of ${window.length} voxels does not match dims [${dims.join(', ')}]`);
  }
  if (dims.some((n) => n % 8 !== 0)) throw new RangeError(`window dims [${dims.join(', ')}] must be multiples of 8 for SegResNet`);
}

/** Features computed by the TensorFlow.js network itself (shares the network's variables). */
export class TfFeatureExtractor implements FeatureExtractor {
  constructor(private readonly net: TfSegResNet) {}

  get channels(): number {
    return this.net.spec.initFilters;
  }

  async extract(window: Float32Array, dims: Dims3): Promise<Float32Array> {
    checkWindow(window, dims);
    const out = tf.tidy(() => {
      const f = this.net.decode(this.net.encode(tf.tensor4d(window, [...dims, 1])));
      return f.reshape([dims[0] * dims[1] * dims[2], this.channels]).transpose();
    });
    const data = (await out.data()) as Float32Array;
    out.dispose();
    return data;
  }
}
