import { StateDict } from '../../weights/tensor';
import { SegResNetSpec, deriveSegResNetSpec, resBlockKeys } from '../segresnetSpec';

const GROUPS = 8;
const EPS = 1e-5;

export type PlanOp =
  | { readonly kind: 'conv'; readonly src: number; readonly dst: number; readonly inChannels: number; readonly outChannels: number; readonly kernel: 1 | 3; readonly stride: 1 | 2; readonly sum: boolean; readonly weights: Float32Array; readonly bias?: Float32Array }
  | { readonly kind: 'groupNormRelu'; readonly src: number; readonly dst: number; readonly groups: number; readonly eps: number; readonly gamma: Float32Array; readonly beta: Float32Array }
  | { readonly kind: 'upsample'; readonly src: number; readonly dst: number; readonly sum: true };

/** A SegResNet backbone as steps over numbered buffers, what the oneDNN addon executes. */
export interface SegResNetPlan {
  readonly spec: SegResNetSpec;
  readonly buffers: number;
  readonly input: number;
  /**
   * Holds relu(GroupNorm(features)), the input of conv_final.2 (the pointwise head, applied after blending), or the
   * logits when the plan includes the head.
   */
  readonly output: number;
  readonly outputChannels: number;
  readonly ops: readonly PlanOp[];
}

/**
 * The same network as buildSegResNetOnnx (MONAI SegResNet, eval mode) up to the final pointwise convolution. Buffers
 * per level: `x` the residual stream (and the skip the decoder adds to), `t` GroupNorm+ReLU output (a convolution's
 * input), `h` a ResBlock's inner activation, `u` the decoder's pointwise convolution before upsampling. Residual and
 * skip additions are sums into `x`, so one level holds three full-size buffers.
 */
export function buildSegResNetPlan(sd: StateDict, opts: { withHead?: boolean } = {}): SegResNetPlan {
  const spec = deriveSegResNetSpec(sd);
  const levels = spec.blocksDown.length;
  const ops: PlanOp[] = [];
  const tensor = (key: string) => {
    const t = sd.get(key);
    if (!t) throw new Error(`missing parameter ${key}`);
    return t.data;
  };
  const input = 0;
  const slot = (level: number, which: 'x' | 't' | 'h' | 'u') => 1 + level * 4 + ['x', 't', 'h', 'u'].indexOf(which);
  const features = 1 + levels * 4;
  const output = opts.withHead ? features + 1 : features;
  const channels = (level: number) => spec.initFilters * 2 ** level;

  const conv = (src: number, dst: number, key: string, inChannels: number, outChannels: number, kernel: 1 | 3, stride: 1 | 2 = 1, sum = false) =>
    ops.push({ kind: 'conv', src, dst, inChannels, outChannels, kernel, stride, sum, weights: tensor(key) });
  const gn = (src: number, dst: number, prefix: string) =>
    ops.push({ kind: 'groupNormRelu', src, dst, groups: GROUPS, eps: EPS, gamma: tensor(`${prefix}.weight`), beta: tensor(`${prefix}.bias`) });
  const resBlock = (level: number, prefix: string) => {
    const k = resBlockKeys(prefix);
    const c = channels(level);
    const [x, t, h] = [slot(level, 'x'), slot(level, 't'), slot(level, 'h')];
    gn(x, t, k.norm1);
    conv(t, h, k.conv1, c, c, 3);
    gn(h, t, k.norm2);
    conv(t, x, k.conv2, c, c, 3, 1, true);
  };

  conv(input, slot(0, 'x'), 'convInit.conv.weight', spec.inChannels, spec.initFilters, 3);
  spec.blocksDown.forEach((n, i) => {
    if (i > 0) conv(slot(i - 1, 'x'), slot(i, 'x'), `down_layers.${i}.0.conv.weight`, channels(i - 1), channels(i), 3, 2);
    for (let b = 1; b <= n; b++) resBlock(i, `down_layers.${i}.${b}`);
  });
  spec.blocksUp.forEach((n, i) => {
    const level = levels - 2 - i;
    conv(slot(level + 1, 'x'), slot(level + 1, 'u'), `up_samples.${i}.0.conv.weight`, channels(level + 1), channels(level), 1);
    ops.push({ kind: 'upsample', src: slot(level + 1, 'u'), dst: slot(level, 'x'), sum: true });
    for (let b = 0; b < n; b++) resBlock(level, `up_layers.${i}.${b}`);
  });
  gn(slot(0, 'x'), features, 'conv_final.0');
  if (opts.withHead) {
    ops.push({ kind: 'conv', src: features, dst: output, inChannels: spec.initFilters, outChannels: spec.outChannels, kernel: 1, stride: 1, sum: false, weights: tensor('conv_final.2.conv.weight'), bias: tensor('conv_final.2.conv.bias') });
  }
  return { spec, buffers: output + 1, input, output, outputChannels: opts.withHead ? spec.outChannels : spec.initFilters, ops };
}
