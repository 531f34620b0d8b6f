import type { PointwiseHeadSession } from './pointwiseHeadSession';

/** A 5-D float32 batch in C order, [N, C, D, H, W]. */
export interface Batch5d {
  readonly data: Float32Array;
  readonly dims: readonly [number, number, number, number, number];
}

/**
 * The engines that run the network: on the CPU, oneDNN through this project's addon or onnxruntime's CPU provider;
 * on a GPU, onnxruntime's WebGPU provider (Dawn over Vulkan), where an adapter is there.
 */
export type EngineName = 'onednn' | 'onnxruntime' | 'webgpu';
/** What the server or CLI asks for: `auto` takes oneDNN when its addon loads, onnxruntime otherwise (never the GPU by itself). */
export type EngineChoice = EngineName | 'auto';
export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'onednn', 'onnxruntime', 'webgpu'];
/** Where a request's network runs (the Slicer `device` option). */
export type Device = 'cpu' | 'webgpu';

/**
 * Arithmetic of the network's convolutions. `fp32` is exact (the parity tests hold); `bf16` runs convolutions on
 * bfloat16 inputs and weights with float accumulation (AMX / AVX512-BF16), GroupNorm, residual sums, the head and the
 * blend staying float.
 */
export type Precision = 'fp32' | 'bf16';
export const PRECISIONS: readonly Precision[] = ['fp32', 'bf16'];

/**
 * One loaded network: `predict` runs a batch of windows; with `head` set it returns the head's input (blend it,
 * then apply the head), otherwise the logits.
 */
export interface SegmentationNetwork {
  /** e.g. "onednn 2.6.3 avx512_core_amx, fp32": what ran, for logs, the CLI and answer params. */
  readonly description: string;
  readonly engine: EngineName;
  readonly precision: Precision;
  readonly head: PointwiseHeadSession | undefined;
  predict(batch: Batch5d): Promise<Batch5d>;
  close(): Promise<void>;
}
