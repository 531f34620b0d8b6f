import { oneDnn } from './dnnl/onednnAddon';
import { OneDnnSession } from './dnnl/oneDnnSession';
import { ensureOnnxModel } from './onnxModelCache';
import { SegResNetSession } from './segresnetSession';
import { probeWebGpu } from './webGpuProbe';
import type { EngineChoice, EngineName, Precision, SegmentationNetwork } from './segmentationNetwork';

export interface NetworkOptions {
  readonly engine?: EngineChoice;
  readonly precision?: Precision;
  readonly threads?: number;
}

export class EngineUnavailableError extends Error {
  override name = 'EngineUnavailableError';
  readonly code = 'ENGINE_UNAVAILABLE';
}

/** Which engine `choice` means here, or why it cannot run: oneDNN needs its addon and a `.pt` state_dict. */
export function resolveEngine(choice: EngineChoice, weightsPath?: string): { engine: EngineName; note?: string } {
  if (choice === 'onnxruntime') return { engine: 'onnxruntime' };
  if (choice === 'webgpu') {
    const gpu = probeWebGpu();
    if (!gpu.available) throw new EngineUnavailableError(`engine webgpu: ${gpu.reason}`);
    return { engine: 'webgpu' };
  }
  const dnnl = oneDnn();
  const onnxFile = weightsPath?.toLowerCase().endsWith('.onnx') ?? false;
  const reason = !dnnl.available ? dnnl.reason : onnxFile ? 'oneDNN builds the network from the .pt state_dict, not from an .onnx file' : undefined;
  if (reason === undefined) return { engine: 'onednn' };
  if (choice === 'onednn') throw new EngineUnavailableError(`engine onednn: ${reason}`);
  return { engine: 'onnxruntime', note: reason };
}

/**
 * Opens the network for a weights file on the chosen engine. `fp32` runs on either; reduced precisions exist on the
 * oneDNN engine only (onnxruntime's CPU provider has no bf16 convolution).
 */
export async function openSegmentationNetwork(weightsPath: string, opts: NetworkOptions = {}): Promise<SegmentationNetwork> {
  const precision = opts.precision ?? 'fp32';
  const { engine, note } = resolveEngine(opts.engine ?? 'auto', weightsPath);
  if (engine === 'onnxruntime' || engine === 'webgpu') {
    if (precision !== 'fp32') throw new EngineUnavailableError(`precision ${precision} needs the oneDNN engine${note ? ` (${note})` : ''}`);
    return SegResNetSession.open(await ensureOnnxModel(weightsPath), { threads: opts.threads, device: engine === 'webgpu' ? 'webgpu' : 'cpu' });
  }
  return OneDnnSession.open(weightsPath, { threads: opts.threads, precision });
}
