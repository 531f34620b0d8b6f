import * as ort from 'onnxruntime-node';
import { oneDnn } from './dnnl/onednnAddon';
import { resolveEngine } from './openNetwork';
import type { EngineChoice, EngineName, Precision } from './segmentationNetwork';

/** What `/info` and the CLI say about the engine a choice runs on. */
export interface EngineInfo {
  readonly engine: EngineName;
  /** e.g. "onednn 2.6.3 (avx512_core_amx)" or "onnxruntime 1.30.0". */
  readonly description: string;
  /** Precisions this engine runs on this CPU, exact `fp32` first. */
  readonly precisions: readonly Precision[];
  /** Why `auto` did not take oneDNN, when it did not. */
  readonly note?: string;
}

/** ISAs on which oneDNN runs bf16 convolutions natively (AVX512-BF16 dot products or AMX tiles). */
const BF16_ISAS = new Set(['avx512_core_bf16', 'avx512_core_amx']);

export function engineInfo(choice: EngineChoice): EngineInfo {
  const { engine, note } = resolveEngine(choice);
  const dnnl = oneDnn();
  if (engine === 'onednn' && dnnl.available) {
    const precisions: Precision[] = BF16_ISAS.has(dnnl.isa) ? ['fp32', 'bf16'] : ['fp32'];
    return { engine, description: `onednn ${dnnl.onednn} (${dnnl.isa})`, precisions };
  }
  return { engine: 'onnxruntime', description: `onnxruntime ${ort.env.versions.node ?? '?'}`, precisions: ['fp32'], note };
}
