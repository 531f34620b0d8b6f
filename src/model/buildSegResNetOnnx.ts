import { onnx } from 'onnx-proto';
import { StateDict } from '../weights/tensor';
import { OnnxGraph, attr } from './onnxGraph';
import { SegResNetSpec, deriveSegResNetSpec, resBlockKeys } from './segresnetSpec';

const GROUPS = 8;
const EPS = 1e-5;

/** Graph input/output names and layout of every SegResNet ONNX file this project writes. */
export const SEGRESNET_IO = { input: 'image', output: 'logits', features: 'features' } as const;

export interface BuildOptions {
  /**
   * Also output every stage under MONAI's module names: `convInit`, `down_layers.i`, `up_samples.i` (before the skip
   * addition) and `up_layers.i`; the last `up_layers` output is the init_filters-channel feature map that feeds
   * `conv_final` (what head-only training needs).
   */
  readonly exposeStages?: boolean;
  /** Stop before `conv_final`: the graph's one output is `features`, the init_filters-channel map (head-only training). */
  readonly featuresOnly?: boolean;
}

/**
 * MONAI SegResNet (eval mode) as an ONNX graph: input `image` [N, in, D, H, W], output `logits` [N, out, D, H, W].
 *
 * GroupNorm is written as Reshape -> InstanceNormalization -> Reshape -> Mul -> Add: onnxruntime's CPU provider ran
 * that 3x faster than the GroupNormalization op. Upsampling is Resize(linear, half_pixel), PyTorch's trilinear with
 * align_corners=False (both clamp the source coordinate at the border).
 */
export function buildSegResNetOnnx(sd: StateDict, opts: BuildOptions = {}): { model: Uint8Array; spec: SegResNetSpec } {
  const spec = deriveSegResNetSpec(sd);
  const g = new OnnxGraph();
  const param = (key: string) => {
    const t = sd.get(key)!;
    return g.floats(key, t.shape, t.data);
  };
  // A [C] vector (checked by deriveSegResNetSpec) as [C, 1, 1, 1].
  const channelParam = (key: string) => {
    const t = sd.get(key)!;
    return g.floats(key, [t.data.length, 1, 1, 1], t.data);
  };
  const ones = g.floats('gn_scale', [GROUPS], new Float32Array(GROUPS).fill(1));
  const zeros = g.floats('gn_bias', [GROUPS], new Float32Array(GROUPS));
  const groupedShape = g.int64s('gn_grouped_shape', [0, GROUPS, -1]);
  const upScales = g.floats('upsample_scales', [5], new Float32Array([1, 1, 2, 2, 2]));

  const conv3 = (x: string, key: string, stride = 1) =>
    g.op('Conv', [x, param(key)], [attr.ints('kernel_shape', [3, 3, 3]), attr.ints('pads', [1, 1, 1, 1, 1, 1]), attr.ints('strides', [stride, stride, stride])]);
  const conv1 = (x: string, key: string, biasKey?: string) =>
    g.op('Conv', biasKey ? [x, param(key), param(biasKey)] : [x, param(key)], [attr.ints('kernel_shape', [1, 1, 1])]);
  const groupNorm = (x: string, prefix: string) => {
    const shape = g.op('Shape', [x]);
    const grouped = g.op('Reshape', [x, groupedShape]);
    const normed = g.op('InstanceNormalization', [grouped, ones, zeros], [attr.float('epsilon', EPS)]);
    const back = g.op('Reshape', [normed, shape]);
    return g.op('Add', [g.op('Mul', [back, channelParam(`${prefix}.weight`)]), channelParam(`${prefix}.bias`)], [], `${prefix}_out`);
  };
  const resBlock = (x: string, prefix: string) => {
    const k = resBlockKeys(prefix);
    let h = conv3(g.op('Relu', [groupNorm(x, k.norm1)]), k.conv1);
    h = conv3(g.op('Relu', [groupNorm(h, k.norm2)]), k.conv2);
    return g.op('Add', [x, h], [], `${prefix}_out`);
  };

  const stages: Array<[string, string, number]> = [];
  let x = conv3(SEGRESNET_IO.input, 'convInit.conv.weight');
  stages.push(['convInit', x, spec.initFilters]);
  const skips: string[] = [];
  spec.blocksDown.forEach((n, i) => {
    if (i > 0) x = conv3(x, `down_layers.${i}.0.conv.weight`, 2);
    for (let b = 1; b <= n; b++) x = resBlock(x, `down_layers.${i}.${b}`);
    skips.push(x);
    stages.push([`down_layers.${i}`, x, spec.initFilters * 2 ** i]);
  });
  spec.blocksUp.forEach((n, i) => {
    const up = g.op('Resize', [conv1(x, `up_samples.${i}.0.conv.weight`), '', upScales], [
      attr.string('mode', 'linear'),
      attr.string('coordinate_transformation_mode', 'half_pixel'),
    ]);
    const c = spec.initFilters * 2 ** (spec.blocksDown.length - 2 - i);
    stages.push([`up_samples.${i}`, up, c]);
    const skip = skips[spec.blocksDown.length - 2 - i];
    if (skip === undefined) throw new RangeError(`up level ${i} has no encoder level to add`);
    x = g.op('Add', [up, skip]);
    for (let b = 0; b < n; b++) x = resBlock(x, `up_layers.${i}.${b}`);
    stages.push([`up_layers.${i}`, x, c]);
  });
  if (opts.featuresOnly) g.nodes.push({ opType: 'Identity', input: [x], output: [SEGRESNET_IO.features], name: 'features_identity' });
  else {
    conv1(g.op('Relu', [groupNorm(x, 'conv_final.0')]), 'conv_final.2.conv.weight', 'conv_final.2.conv.bias');
    const finalConv = g.nodes.at(-1);
    if (!finalConv) throw new Error('the graph has no nodes');
    finalConv.output = [SEGRESNET_IO.output];
  }

  const dim = (p: string) => ({ dimParam: p });
  const tensorType = (channels: number) => ({
    tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [dim('N'), { dimValue: channels }, dim('D'), dim('H'), dim('W')] } },
  });
  const outputs: onnx.IValueInfoProto[] = opts.featuresOnly
    ? [{ name: SEGRESNET_IO.features, type: tensorType(spec.initFilters) }]
    : [{ name: SEGRESNET_IO.output, type: tensorType(spec.outChannels) }];
  if (opts.exposeStages) {
    for (const [name, value, channels] of stages) {
      g.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `${name}_identity` });
      outputs.push({ name, type: tensorType(channels) });
    }
  }
  const doc = `MONAI SegResNet init_filters=${spec.initFilters} blocks_down=[${spec.blocksDown.join(',')}] blocks_up=[${spec.blocksUp.join(',')}] out_channels=${spec.outChannels}`;
  const model = g.encode('segresnet', [{ name: SEGRESNET_IO.input, type: tensorType(spec.inChannels) }], outputs, doc);
  return { model, spec };
}
