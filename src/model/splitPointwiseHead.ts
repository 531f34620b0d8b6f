import { onnx } from 'onnx-proto';

/** A 1x1x1 convolution as a matrix: `weight[o * inChannels + i]`, plus one bias per output channel. */
export interface PointwiseHeadWeights {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly weight: Float32Array;
  readonly bias: Float32Array;
}

export interface SplitModel {
  /** The same graph without its final 1x1 convolution; its one output is that convolution's input. */
  readonly backbone: Uint8Array;
  readonly backboneOutput: string;
  readonly head: PointwiseHeadWeights;
}

/**
 * Cuts a segmentation graph whose single output comes from a pointwise (1x1x1, stride 1, group 1) Conv into the
 * backbone and that Conv's weights. SegResNet ends that way (conv_final.2), and since the head is linear, blending
 * its 32-channel input and applying the head afterwards gives MONAI's blended 105-channel logits with a third of the
 * memory and blending work. Returns undefined for any other graph shape (the caller then blends the logits).
 */
export function splitPointwiseHead(modelBytes: Uint8Array): SplitModel | undefined {
  const model = onnx.ModelProto.decode(modelBytes);
  // Decoded messages are class instances whose repeated fields are always arrays.
  const graph = model.graph as onnx.GraphProto | null | undefined;
  const output = graph?.output[0];
  if (!graph || !output || graph.output.length !== 1) return undefined;
  const outName = output.name ?? '';
  const nodes = graph.node as onnx.NodeProto[];
  const nodeIndex = nodes.findIndex((n) => n.output.includes(outName));
  const node = nodes[nodeIndex];
  if (!node || node.opType !== 'Conv' || node.output.length !== 1 || node.input.length < 2) return undefined;
  const [x, wName, bName] = node.input;
  if (x === undefined) return undefined;
  const consumers = nodes.filter((n) => n !== node && n.input.includes(x));
  if (consumers.length || graph.input.some((i) => i.name === x)) return undefined;
  const init = (name: string | undefined) => (name ? graph.initializer.find((t) => t.name === name) : undefined);
  const wInit = init(wName);
  if (!wInit || !isPointwiseConv(node, wInit)) return undefined;
  const [outChannels, inChannels] = (wInit.dims ?? []).map(Number);
  if (outChannels === undefined || inChannels === undefined) return undefined;
  const weight = floatsOf(wInit);
  const bInit = init(bName);
  if (bName && !bInit) return undefined;
  const bias = bInit ? floatsOf(bInit) : new Float32Array(outChannels);
  if (!weight || !bias || weight.length !== outChannels * inChannels || bias.length !== outChannels) return undefined;

  nodes.splice(nodeIndex, 1);
  const stillUsed = new Set(nodes.flatMap((n) => n.input));
  graph.initializer = graph.initializer.filter((t) => stillUsed.has(t.name ?? ''));
  const outType = output.type;
  const dims = outType?.tensorType?.shape?.dim;
  if (dims && dims.length > 1) dims[1] = { dimValue: inChannels };
  graph.output = [{ name: x, type: outType }];
  return { backbone: onnx.ModelProto.encode(model).finish(), backboneOutput: x, head: { inChannels, outChannels, weight, bias } };
}

function isPointwiseConv(node: onnx.INodeProto, w: onnx.ITensorProto): boolean {
  const dims = (w.dims ?? []).map(Number);
  if (dims.length < 3 || dims.slice(2).some((d) => d !== 1)) return false;
  const ints = (name: string) => node.attribute?.find((a) => a.name === name)?.ints?.map(Number);
  const all = (name: string, v: number) => (ints(name) ?? []).every((d) => d === v);
  const group: unknown = node.attribute?.find((a) => a.name === 'group')?.i; // number | Long
  const autoPad = node.attribute?.find((a) => a.name === 'auto_pad')?.s;
  const autoPadOk = !autoPad || ['NOTSET', 'VALID'].includes(new TextDecoder().decode(autoPad));
  return all('kernel_shape', 1) && all('strides', 1) && all('pads', 0) && (group === undefined || Number(group) === 1) && autoPadOk;
}

function floatsOf(t: onnx.ITensorProto): Float32Array | undefined {
  if (t.dataType !== onnx.TensorProto.DataType.FLOAT || t.externalData?.length) return undefined;
  if (t.rawData && t.rawData.length) return new Float32Array(Uint8Array.from(t.rawData).buffer);
  return t.floatData?.length ? Float32Array.from(t.floatData) : undefined;
}
