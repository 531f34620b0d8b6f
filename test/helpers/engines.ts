import { buildSegResNetOnnx } from '../../src/model/buildSegResNetOnnx';
import { oneDnn } from '../../src/model/dnnl/onednnAddon';
import { OneDnnSession } from '../../src/model/dnnl/oneDnnSession';
import type { EngineName, Precision } from '../../src/model/segmentationNetwork';
import { SegResNetSession } from '../../src/model/segresnetSession';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import { networkLogits } from '../../src/model/networkLogits';
import { probeWebGpu } from '../../src/model/webGpuProbe';

/**
 * The exact engines this machine has: onnxruntime always, oneDNN when its addon is built, WebGPU when a GPU adapter
 * answers. Where one is missing its parity suites skip visibly with the reason (CI builds oneDNN; no CI machine has a GPU).
 */
const dnnl = oneDnn();
/** onnxruntime's WebGPU provider, where a GPU adapter answers (a lent GPU machine; `scripts/gpu-check.sh`). */
const gpu = probeWebGpu();
// The GPU check (scripts/gpu-check.sh) must not pass by skipping.
if (process.env.WBCT_REQUIRE_WEBGPU === '1' && !gpu.available) throw new Error(`WBCT_REQUIRE_WEBGPU=1 but WebGPU has no adapter: ${gpu.reason}`);
export const EXACT_ENGINES: readonly EngineName[] = [...(['onnxruntime'] as const), ...(dnnl.available ? (['onednn'] as const) : []), ...(gpu.available ? (['webgpu'] as const) : [])];

export const describeWithOneDnn: jest.Describe = dnnl.available
  ? describe
  : (((name: string, fn: () => void) => describe.skip(`${name} [SKIPPED: ${dnnl.reason}]`, fn)) as unknown as jest.Describe);

/** Prints, once per file, which oneDNN parity suites could not run. */
export function noteSkippedEngines(): void {
  if (!dnnl.available) describe.skip(`oneDNN engine [SKIPPED: ${dnnl.reason}]`, () => test.todo('oneDNN parity'));
  if (!gpu.available) describe.skip(`WebGPU engine [SKIPPED: ${gpu.reason}]`, () => test.todo('WebGPU parity'));
}

export interface LogitsNetwork {
  /** Full logits [N, classes, D, H, W] in C order. */
  logits(data: Float32Array, dims: readonly [number, number, number, number, number]): Promise<Float32Array>;
  close(): Promise<void>;
}

/** A network that returns logits on `engine`, the head inside the network on both. */
export async function openLogitsNetwork(engine: EngineName, weights: string, precision: Precision = 'fp32', threads = 2): Promise<LogitsNetwork> {
  const sd = await readTorchStateDict(weights);
  const network =
    engine === 'onednn'
      ? await OneDnnSession.open(sd, { threads, precision, splitHead: false })
      : await SegResNetSession.open(buildSegResNetOnnx(sd).model, { threads, splitHead: false, device: engine === 'webgpu' ? 'webgpu' : 'cpu' });
  return { logits: (data, dims) => networkLogits(network, { data, dims }), close: () => network.close() };
}
