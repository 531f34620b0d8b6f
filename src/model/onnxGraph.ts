import { onnx } from 'onnx-proto';

/** A small accumulator for ONNX nodes and initializers with unique, readable value names. */
export class OnnxGraph {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly used = new Set<string>();

  name(base: string): string {
    let n = base;
    for (let i = 1; this.used.has(n); i++) n = `${base}_${i}`;
    this.used.add(n);
    return n;
  }

  /** Adds a float32 initializer (little-endian raw data) and returns its name. */
  floats(base: string, dims: readonly number[], data: Float32Array): string {
    const name = this.name(base);
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.initializers.push({ name, dims: [...dims], dataType: onnx.TensorProto.DataType.FLOAT, rawData: Uint8Array.from(bytes) });
    return name;
  }

  int64s(base: string, values: readonly number[]): string {
    const name = this.name(base);
    this.initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: [...values] });
    return name;
  }

  /** The graph as a serialised ONNX model (IR 8, default domain at opset 17, what onnxruntime 1.30 runs). */
  encode(name: string, inputs: onnx.IValueInfoProto[], outputs: onnx.IValueInfoProto[], docString = ''): Uint8Array {
    return onnx.ModelProto.encode({
      irVersion: 8,
      producerName: 'wbct',
      producerVersion: '0.1.0',
      opsetImport: [{ domain: '', version: 17 }],
      docString,
      graph: { name, node: this.nodes, initializer: this.initializers, input: inputs, output: outputs },
    }).finish();
  }

  /** Appends a node; returns its single output's name. */
  op(opType: string, inputs: readonly string[], attributes: onnx.IAttributeProto[] = [], base = opType.toLowerCase()): string {
    const out = this.name(base);
    this.nodes.push({ opType, input: [...inputs], output: [out], name: out, attribute: attributes });
    return out;
  }
}

export const attr = {
  ints: (name: string, ints: readonly number[]): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...ints] }),
  int: (name: string, i: number): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.INT, i }),
  float: (name: string, f: number): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.FLOAT, f }),
  string: (name: string, s: string): onnx.IAttributeProto => ({ name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(s) }),
};
