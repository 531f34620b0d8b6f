import { mapVec3, type Axis, type Vec3, type VoxelArray } from '../core/volume';
import { coordinateTerms, isSeparable, separableCoordinates, unnormalizeClamp, type SamplingGrid } from './samplingGrid';

/** Per output axis: for each index, the offset (input index times input stride) of the voxel it copies. */
export type AxisOffsets = [Int32Array, Int32Array, Int32Array];

/**
 * PyTorch 1.13's 3-D grid_sample picks the nearest voxel with std::round (halves away from zero), not nearbyint as
 * its 2-D kernel and later versions do; with border clamping coordinates are >= 0, so halves go up. Matters at exact
 * half-voxel ties (every other slice when 1.5 mm slices come back from 3 mm): with round-half-even the inverted
 * cranium labels were 0.3% off MONAI's; with this and the exact linspace they match up to the network's own
 * near-tie differences.
 */
export function roundNearestTorch3d(x: number): number {
  return Math.floor(x + 0.5);
}

/**
 * torch grid_sample nearest (border padding, align_corners=False) on a separable grid: the clamped coordinate
 * rounded as `roundNearestTorch3d`, as offsets into the input; null when the grid mixes axes (oblique).
 */
export function nearestOffsets(grid: SamplingGrid): AxisOffsets | null {
  if (!isSeparable(grid)) return null;
  const stride: Vec3 = [1, grid.inShape[0], grid.inShape[0] * grid.inShape[1]];
  return mapVec3(separableCoordinates(grid), (c, a) => Int32Array.from(c, (v) => roundNearestTorch3d(v) * stride[a]));
}

/** out[i + nx * (j + ny * k)] = data[offsets[0][i] + offsets[1][j] + offsets[2][k]], in one pass. */
export function gatherByOffsets<T extends VoxelArray>(data: T, offsets: AxisOffsets): T {
  const [oi, oj, ok] = offsets;
  const out = new (data.constructor as new (n: number) => T)(oi.length * oj.length * ok.length);
  let o = 0;
  // Indices run over the tables' lengths; the offsets are of voxels of the input (nearestOffsets clamps them).
  for (let k = 0; k < ok.length; k++) {
    for (let j = 0; j < oj.length; j++) {
      const row = ok[k]! + oj[j]!;
      for (let i = 0; i < oi.length; i++) out[o++] = data[row + oi[i]!]!;
    }
  }
  return out;
}

/**
 * Nearest-neighbour resampling (torch 1.13 grid_sample, nearest, border padding, align_corners=False: the clamped
 * coordinate rounded as `roundNearestTorch3d`). Keeps the array type: a uint8 label map stays uint8.
 */
export function resampleNearest<T extends VoxelArray>(data: T, grid: SamplingGrid): T {
  const offsets = nearestOffsets(grid);
  return offsets ? gatherByOffsets(data, offsets) : generalNearest(data, grid);
}

function generalNearest<T extends VoxelArray>(data: T, grid: SamplingGrid): T {
  const [ox, oy, oz] = grid.outShape;
  const out = new (data.constructor as new (n: number) => T)(ox * oy * oz);
  const size: Vec3 = grid.inShape;
  const terms = coordinateTerms(grid);
  const c = mapVec3(grid.theta, (r) => r[3]);
  // The coordinate tables have the output's lengths (i < ox, j < oy, k < oz), and coordinates are clamped into the
  // input before rounding, so the data index is a voxel of it.
  const at = (a: Axis, i: number, j: number, k: number) => roundNearestTorch3d(unnormalizeClamp(terms[a][2][k]! + terms[a][1][j]! + terms[a][0][i]! + c[a], size[a]));
  let o = 0;
  for (let k = 0; k < oz; k++) {
    for (let j = 0; j < oy; j++) {
      for (let i = 0; i < ox; i++) out[o++] = data[at(2, i, j, k) * size[0] * size[1] + at(1, i, j, k) * size[0] + at(0, i, j, k)]!;
    }
  }
  return out;
}
