import { mapVec3, type Axis, type Vec3, type VoxelArray } from '../core/volume';

/**
 * Copies a volume into a new axis order: output axis d is input axis `source[d]`, read backwards when `flip[d]`.
 * One strided pass, no per-voxel allocation.
 */
export function permuteFlipAxes<T extends VoxelArray>(data: T, shape: Vec3, source: readonly [Axis, Axis, Axis], flip: readonly [boolean, boolean, boolean]): T {
  const inStride: Vec3 = [1, shape[0], shape[0] * shape[1]];
  const outShape = mapVec3(source, (p) => shape[p]);
  // Per output axis: the input offset of index 0 and the step per index.
  const step = mapVec3(source, (p, d) => (flip[d] ? -inStride[p] : inStride[p]));
  const start = mapVec3(source, (p, d) => (flip[d] ? (shape[p] - 1) * inStride[p] : 0));
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const [n0, n1, n2] = outShape;
  let o = 0;
  // Rows along input axis 0 (the usual case: only flips) are copied with native set/reverse.
  const rowsContiguous = Math.abs(step[0]) === 1;
  const reversed = step[0] === -1;
  for (let k = 0; k < n2; k++) {
    const baseK = start[0] + start[1] + start[2] + k * step[2];
    for (let j = 0; j < n1; j++) {
      let src = baseK + j * step[1];
      if (rowsContiguous) {
        const first = reversed ? src - n0 + 1 : src;
        out.set(data.subarray(first, first + n0), o);
        if (reversed) out.subarray(o, o + n0).reverse();
        o += n0;
      } else {
        // src walks one input row (n0 voxels along axis source[0]), inside the volume.
        for (let i = 0; i < n0; i++, src += step[0]) out[o++] = data[src]!;
      }
    }
  }
  return out;
}
