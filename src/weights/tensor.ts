/** A dense float32 tensor in C order (last axis fastest), as PyTorch stores contiguous tensors. */
export interface Float32Tensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Parameters by their PyTorch state_dict key, in state_dict order. */
export type StateDict = ReadonlyMap<string, Float32Tensor>;

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
