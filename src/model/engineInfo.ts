import * as ort from 'onnxruntime-node';
import { oneDnn } from './dnnl/onednnAddon';
import { resolveEngine } from './openNetwork';
import type { Device, EngineChoice, EngineName, Precision } from './segmentationNetwork';
import { probeWebGpu } from './webGpuProbe';

/** What `/info` and the CLI say about the engine a choice runs on. */
export interface EngineInfo {
  readonly engine: EngineName;
  /** e.g. "onednn 2.6.3 (avx512_core_amx)" or "onnxruntime 1.30.0". */
  readonly description: string;
  /** Precisions this engine runs on this CPU, exact `fp32` first. */
  readonly precisions: readonly Precision[];
  /** Why `auto` did not take oneDNN, when it did not. */
  readonly note?: string;
  /** Where a request may run (the Slicer `device` option): `cpu`, and `webgpu` where it was asked for and an adapter answered. */
  readonly devices: readonly Device[];
  /** Why `webgpu` is not among the devices, when it was asked for. */
  readonly webgpuNote?: string;
}

/** ISAs on which oneDNN runs bf16 convolutions natively (AVX512-BF16 dot products or AMX tiles). */
const BF16_ISAS = new Set(['avx512_core_bf16', 'avx512_core_amx']);

/** `webgpu: true` (`--webgpu`) probes for a GPU adapter and offers the `webgpu` device when one answers. */
export function engineInfo(choice: EngineChoice, options: { readonly webgpu?: boolean } = {}): EngineInfo {
  const { engine, note } = resolveEngine(choice);
  const gpu = options.webgpu || engine === 'webgpu' ? probeWebGpu() : undefined;
  const devices: Device[] = gpu?.available ? ['cpu', 'webgpu'] : ['cpu'];
  const webgpuNote = gpu && !gpu.available ? `webgpu unavailable: ${gpu.reason}` : undefined;
  const dnnl = oneDnn();
  if (engine === 'onednn' && dnnl.available) {
    const precisions: Precision[] = BF16_ISAS.has(dnnl.isa) ? ['fp32', 'bf16'] : ['fp32'];
    return { engine, description: `onednn ${dnnl.onednn} (${dnnl.isa})`, precisions, devices, webgpuNote };
  }
  const name = engine === 'webgpu' ? 'webgpu' : 'onnxruntime';
  return { engine: name, description: `onnxruntime ${ort.env.versions.node ?? '?'}${name === 'webgpu' ? ' webgpu' : ''}`, precisions: ['fp32'], note, devices, webgpuNote };
}
