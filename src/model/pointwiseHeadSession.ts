import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { cpuSessionOptions } from './cpuSessionOptions';
import { OnnxGraph, attr } from './onnxGraph';
import { PointwiseHeadWeights } from './splitPointwiseHead';

/**
 * A pointwise head applied to blended sums: `y = W s + b w` for every voxel, where `s` holds the Gaussian-weighted
 * sums of the head's input and `w` the weight sums. That is exactly the weighted sum of the head's outputs, since the
 * head is linear. Input `[inChannels + 1, L]` (the weight sums as the last row), output `[outChannels, L]`.
 * One MatMul in onnxruntime: 3,500 multiply-adds per voxel are too many for a JavaScript loop.
 */
export class PointwiseHeadSession {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly inChannels: number,
    readonly outChannels: number,
  ) {}

  static async open(head: PointwiseHeadWeights, threads: number): Promise<PointwiseHeadSession> {
    const { inChannels: n, outChannels: m } = head;
    if (head.weight.length !== m * n || head.bias.length !== m) throw new RangeError(`head weights: ${head.weight.length} weights and ${head.bias.length} biases for ${n} -> ${m} channels`);
    const augmented = new Float32Array(m * (n + 1));
    head.bias.forEach((b, o) => {
      augmented.set(head.weight.subarray(o * n, (o + 1) * n), o * (n + 1));
      augmented[o * (n + 1) + n] = b;
    });
    const g = new OnnxGraph();
    const w = g.floats('head_weight', [m, n + 1], augmented);
    g.nodes.push({ opType: 'MatMul', input: [w, 'x'], output: ['y'], name: 'head' });
    // torch.argmax's rule (first maximum) is ArgMax's default, select_last_index = 0.
    const argmax = g.op('ArgMax', ['y'], [attr.int('axis', 0), attr.int('keepdims', 0)]);
    g.nodes.push({ opType: 'Cast', input: [argmax], output: ['labels'], name: 'labels_u8', attribute: [attr.int('to', onnx.TensorProto.DataType.UINT8)] });
    const F = onnx.TensorProto.DataType.FLOAT;
    const type = (rows: number) => ({ tensorType: { elemType: F, shape: { dim: [{ dimValue: rows }, { dimParam: 'L' }] } } });
    const labelsType = { tensorType: { elemType: onnx.TensorProto.DataType.UINT8, shape: { dim: [{ dimParam: 'L' }] } } };
    const model = g.encode('pointwise_head', [{ name: 'x', type: type(n + 1) }], [{ name: 'y', type: type(m) }, { name: 'labels', type: labelsType }]);
    // No spinning: the head runs between windows, and onnxruntime's threads spinning after it took the cores from the
    // next window's network.
    const session = await ort.InferenceSession.create(model, { ...cpuSessionOptions(threads), extra: { session: { intra_op: { allow_spinning: '0' } } } });
    return new PointwiseHeadSession(session, n, m);
  }

  async apply(sumsAndWeights: Float32Array, length: number): Promise<Float32Array> {
    return (await this.run(sumsAndWeights, length, 'y')) as Float32Array;
  }

  /** The channel of the first maximum per voxel (torch.argmax's rule). */
  async argmax(sumsAndWeights: Float32Array, length: number): Promise<Uint8Array> {
    if (this.outChannels > 256) throw new Error(`${this.outChannels} classes do not fit a uint8 label`);
    return (await this.run(sumsAndWeights, length, 'labels')) as Uint8Array;
  }

  private async run(sumsAndWeights: Float32Array, length: number, output: 'y' | 'labels'): Promise<ort.Tensor['data']> {
    if (sumsAndWeights.length !== (this.inChannels + 1) * length) throw new Error(`head input has ${sumsAndWeights.length} values, expected ${(this.inChannels + 1) * length}`);
    const out = await this.session.run({ x: new ort.Tensor('float32', sumsAndWeights, [this.inChannels + 1, length]) }, [output]);
    const result = out[output];
    if (!result) throw new Error(`the head session returned no "${output}"`);
    return result.data;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
