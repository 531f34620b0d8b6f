import { mulMat4, vec3, vec4, type Axis, type Mat4, type Tuple3, type Vec3, type Vec4 } from '../core/volume';
import { exactFma } from './exactFma';
import { inverse4 } from '../core/linalg4';

/**
 * Where each output voxel samples the input, computed with the floating-point steps of MONAI's SpatialResample on
 * PyTorch 1.13 (align_corners=False, padding "border"): theta = N_in @ xform @ inv(N_out) in normalised coordinates,
 * `affine_grid`'s linspace base grid, `grid_sample`'s unnormalise and clamp. The result is the input's continuous
 * index; doing it the same way makes nearest-neighbour ties (index exactly k + 0.5) fall where MONAI's fall.
 */
export interface SamplingGrid {
  readonly inShape: Vec3;
  readonly outShape: Vec3;
  /** Row a: coefficients of the output's normalised (i, j, k) and a constant, giving input axis a's normalised coordinate. */
  readonly theta: readonly [Vec4, Vec4, Vec4];
  /** Per output axis: affine_grid's base coordinate of each index. */
  readonly base: readonly [Float64Array, Float64Array, Float64Array];
}

/** Vectorized<double>::size() of the AVX2 kernels Debian's PyTorch 1.13 runs (it ships no AVX512 kernels). */
const TORCH_DOUBLE_LANES = 4;

/**
 * torch.linspace(-1, 1, n) in float64 as Debian's PyTorch 1.13 CPU kernel computes it: symmetric about the middle
 * (index i < n/2 counts from -1, the rest back from 1), two 4-lane vectors per loop step whose first lane is
 * `start + step * idx` as a fused multiply-add and whose other lanes add m * step to it unfused, then a scalar tail.
 * Established by reproducing torch.linspace bit for bit for n = 54, 82, 108, 164, 216, 256 with that build; the
 * nearest-neighbour inverse picks MONAI's slice at exact half-voxel ties only with these last bits.
 */
function torchLinspace(n: number): Float64Array {
  const out = new Float64Array(n);
  if (n === 1) {
    out[0] = -1;
    return out;
  }
  const step = 2 / (n - 1);
  const half = Math.floor(n / 2);
  const first = (i: number) => (i < half ? exactFma(step, i, -1) : exactFma(-step, n - 1 - i, 1));
  const lanes = TORCH_DOUBLE_LANES;
  let idx = 0;
  for (; idx <= n - 2 * lanes; idx += 2 * lanes) {
    for (const start of [idx, idx + lanes]) {
      const base = first(start);
      for (let m = 0; m < lanes; m++) out[start + m] = base + m * step;
    }
  }
  for (; idx < n; idx++) out[idx] = first(idx);
  return out;
}

/** ATen `linspace_from_neg_one(n, align_corners=False)`. */
function baseCoordinates(n: number): Float64Array {
  if (n <= 1) return new Float64Array(n);
  return torchLinspace(n).map((x) => (x * (n - 1)) / n);
}

/** MONAI `normalize_transform(shape, align_corners=False)`: index -> [-1, 1] with voxel centres at (2i+1)/n - 1. */
function normalizeTransform(shape: Vec3): Mat4 {
  const row = (a: Axis): Vec4 => vec4((c) => (c === 3 ? 1 / shape[a] - 1 : c === a ? 2 / shape[a] : 0));
  return [row(0), row(1), row(2), [0, 0, 0, 1]];
}

export function samplingGrid(xform: Mat4, inShape: Vec3, outShape: Vec3): SamplingGrid {
  const theta = mulMat4(mulMat4(normalizeTransform(inShape), xform), inverse4(normalizeTransform(outShape)));
  return { inShape, outShape, theta: [theta[0], theta[1], theta[2]], base: [baseCoordinates(outShape[0]), baseCoordinates(outShape[1]), baseCoordinates(outShape[2])] };
}

/** grid_sample's unnormalise (align_corners=False) and border clamp, for input axis of size n. */
export function unnormalizeClamp(g: number, n: number): number {
  const x = ((g + 1) * n - 1) / 2;
  return Math.min(n - 1, Math.max(x, 0));
}

/** True when each input axis depends on one output axis only (the same one), so coordinates can be tabulated per axis. */
export function isSeparable(grid: SamplingGrid): boolean {
  return grid.theta.every((row, a) => row.slice(0, 3).every((v, c) => c === a || v === 0));
}

/** Per axis: the clamped input coordinate of each output index (valid when `isSeparable`). */
export function separableCoordinates(grid: SamplingGrid): Tuple3<Float64Array> {
  return vec3((a) => {
    const row = grid.theta[a];
    return grid.base[a].map((b) => unnormalizeClamp(b * row[a] + row[3], grid.inShape[a]));
  });
}

/**
 * Per input axis a and output axis c: base[c][index] * theta[a][c], so that a voxel's normalised coordinate is
 * ((k-term + j-term) + i-term) + constant, the order affine_grid's matrix product sums in.
 */
export function coordinateTerms(grid: SamplingGrid): Tuple3<Tuple3<Float64Array>> {
  return vec3((a) => vec3((c) => grid.base[c].map((b) => b * grid.theta[a][c])));
}
