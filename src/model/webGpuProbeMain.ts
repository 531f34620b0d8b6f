import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { OnnxGraph } from './onnxGraph';

/**
 * Run as its own process by `probeWebGpu`: opens a one-node graph on onnxruntime's WebGPU execution provider and prints
 * `{"available": true}` or `{"available": false, "reason": "..."}` on stdout. Dawn looks for a Vulkan adapter while
 * it starts; in a process of its own, whatever it does there cannot touch the server.
 */
async function main(): Promise<void> {
  const graph = new OnnxGraph();
  const value = (name: string): onnx.IValueInfoProto => ({ name, type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 4 }] } } } });
  const out = graph.op('Relu', ['x']);
  const model = graph.encode('webgpu-probe', [value('x')], [value(out)]);
  try {
    const session = await ort.InferenceSession.create(model, { executionProviders: ['webgpu'] });
    const result = await session.run({ x: new ort.Tensor('float32', Float32Array.from([-1, 0, 1, 2]), [4]) });
    const data = Array.from(result[out]?.data as Float32Array);
    await session.release();
    const ok = data.join(',') === '0,0,1,2';
    process.stdout.write(JSON.stringify(ok ? { available: true } : { available: false, reason: `the WebGPU provider computed Relu wrong (${data.join(', ')})` }));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // onnxruntime prefixes the source location; the sentence after the last "was false. " (or the whole line) is the reason.
    const line = message.split('\n')[0] ?? message;
    process.stdout.write(JSON.stringify({ available: false, reason: line.replace(/^.*was false\. /, '') }));
  }
}

void main();
