/**
 * Argmax over the channel axis of a [C, V] C-order block (V voxels per channel). Ties go to the first maximum,
 * as torch.argmax does. Returns one uint8 label per voxel (so at most 256 channels).
 */
export function argmaxChannels(logits: Float32Array, channels: number, voxels: number, out = new Uint8Array(voxels)): Uint8Array {
  if (channels > 256) throw new RangeError(`argmax to uint8 supports at most 256 channels, got ${channels}`);
  if (logits.length < channels * voxels) throw new RangeError('argmax input is shorter than channels x voxels');
  const best = new Float32Array(voxels).fill(-Infinity);
  out.fill(0);
  // Indices stay below channels x voxels (checked above): the typed-array reads are in range.
  for (let c = 0; c < channels; c++) {
    const base = c * voxels;
    for (let v = 0; v < voxels; v++) {
      const x = logits[base + v]!;
      if (x > best[v]!) {
        best[v] = x;
        out[v] = c;
      }
    }
  }
  return out;
}
