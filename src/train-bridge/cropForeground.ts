import { Mat4, Tuple3, Vec3, Volume, VoxelArray, makeVolume, mapVec3, mulMat4, vec3 } from '../core/volume';

/** A box in voxel indices, [start, end) per axis; it may reach outside the image (that part is zero-padded). */
export interface VoxelBox {
  readonly start: Vec3;
  readonly end: Vec3;
}

/**
 * MONAI `CropForeground(select_fn=is_positive, margin, k_divisible, allow_smaller=True)`'s box: the bounding box of
 * voxels > 0, grown by `margin` and clipped to the image, then grown to a multiple of `kDivisible` around its centre
 * (start -= floor(extra / 2)), which may leave the image. Throws when no voxel is > 0.
 */
export function foregroundBox(image: Volume<Float32Array>, margin: number, kDivisible: Vec3): VoxelBox {
  const [nx, ny, nz] = image.shape;
  const lo: Tuple3<number> = [nx, ny, nz];
  const hi: Tuple3<number> = [-1, -1, -1];
  const d = image.data;
  // o runs over the voxels in storage order, o < nx * ny * nz = d.length.
  for (let k = 0, o = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, o++) {
        if (d[o]! > 0) {
          if (i < lo[0]) lo[0] = i;
          if (i > hi[0]) hi[0] = i;
          if (j < lo[1]) lo[1] = j;
          if (j > hi[1]) hi[1] = j;
          if (k < lo[2]) lo[2] = k;
          if (k > hi[2]) hi[2] = k;
        }
      }
    }
  }
  if (hi[0] < 0) throw new RangeError('CropForeground: the image has no voxel above 0 (nothing to train on)');
  const axes = vec3((a) => {
    const s = Math.max(lo[a] - margin, 0);
    const e = Math.min(hi[a] + margin + 1, image.shape[a]);
    const size = Math.ceil((e - s) / kDivisible[a]) * kDivisible[a];
    const start = s - Math.floor((size - (e - s)) / 2);
    return { start, end: start + size };
  });
  return { start: mapVec3(axes, (x) => x.start), end: mapVec3(axes, (x) => x.end) };
}

/** MONAI SpatialCrop + constant-0 BorderPad to `box`; the affine moves with the box's first voxel. */
export function cropToBox<T extends VoxelArray>(volume: Volume<T>, box: VoxelBox): Volume<T> {
  const [nx, ny, nz] = volume.shape;
  const shape = vec3((a) => box.end[a] - box.start[a]);
  const out = new (volume.data.constructor as new (n: number) => T)(shape[0] * shape[1] * shape[2]);
  const [x0, y0, z0] = box.start;
  const iLo = Math.max(0, -x0);
  const iHi = Math.min(shape[0], nx - x0);
  for (let k = 0; k < shape[2]; k++) {
    const z = z0 + k;
    if (z < 0 || z >= nz) continue;
    for (let j = 0; j < shape[1]; j++) {
      const y = y0 + j;
      if (y < 0 || y >= ny || iHi <= iLo) continue;
      const src = x0 + nx * (y + ny * z);
      const dst = shape[0] * (j + shape[1] * k);
      out.set(volume.data.subarray(src + iLo, src + iHi), dst + iLo);
    }
  }
  const shift: Mat4 = [
    [1, 0, 0, x0],
    [0, 1, 0, y0],
    [0, 0, 1, z0],
    [0, 0, 0, 1],
  ];
  return makeVolume(out, shape, mulMat4(volume.affineRas, shift));
}
