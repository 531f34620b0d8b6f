import { mapVec3, type VoxelArray } from '../core/volume';
import { coordinateTerms, isSeparable, separableCoordinates, unnormalizeClamp, type SamplingGrid } from './samplingGrid';

/** Lower neighbour, upper neighbour (clamped into the volume; its weight is 0 there) and both weights per coordinate. */
interface AxisTaps {
  lo: Int32Array;
  hi: Int32Array;
  wLo: Float64Array;
  wHi: Float64Array;
}

function taps(coords: Float64Array, n: number): AxisTaps {
  const t: AxisTaps = { lo: new Int32Array(coords.length), hi: new Int32Array(coords.length), wLo: new Float64Array(coords.length), wHi: new Float64Array(coords.length) };
  for (let i = 0; i < coords.length; i++) {
    const x = coords[i]!; // i < coords.length
    const f = Math.floor(x);
    t.lo[i] = f;
    t.hi[i] = Math.min(f + 1, n - 1);
    t.wLo[i] = f + 1 - x;
    t.wHi[i] = x - f;
  }
  return t;
}

/**
 * Trilinear resampling (torch grid_sample, bilinear, border padding, align_corners=False) accumulated in float64 in
 * torch's corner order and rounded once to float32. Index axes i, j, k are torch's D, H, W.
 */
export function resampleTrilinear(data: VoxelArray, grid: SamplingGrid): Float32Array {
  return isSeparable(grid) ? separableTrilinear(data, grid) : generalTrilinear(data, grid);
}

function separableTrilinear(data: VoxelArray, grid: SamplingGrid): Float32Array {
  const [sx, sy] = grid.inShape;
  const [ox, oy, oz] = grid.outShape;
  const [ci, cj, ck] = separableCoordinates(grid);
  const ti = taps(ci, grid.inShape[0]);
  const tj = taps(cj, grid.inShape[1]);
  const tk = taps(ck, grid.inShape[2]);
  const out = new Float32Array(ox * oy * oz);
  const plane = sx * sy;
  let o = 0;
  // Typed-array reads below are in range: k, j, i run over the taps' lengths (oz, oy, ox) and the taps are clamped
  // into the input, so every data index is a voxel of it.
  for (let k = 0; k < oz; k++) {
    const k0 = tk.lo[k]! * plane;
    const k1 = tk.hi[k]! * plane;
    for (let j = 0; j < oy; j++) {
      // torch's weights multiply x (our k), then y (j), then z (i): ((wk * wj) * wi).
      const p00 = tk.wLo[k]! * tj.wLo[j]!;
      const p10 = tk.wHi[k]! * tj.wLo[j]!;
      const p01 = tk.wLo[k]! * tj.wHi[j]!;
      const p11 = tk.wHi[k]! * tj.wHi[j]!;
      const r00 = k0 + tj.lo[j]! * sx;
      const r10 = k1 + tj.lo[j]! * sx;
      const r01 = k0 + tj.hi[j]! * sx;
      const r11 = k1 + tj.hi[j]! * sx;
      for (let i = 0; i < ox; i++) {
        const i0 = ti.lo[i]!;
        const i1 = ti.hi[i]!;
        const w0 = ti.wLo[i]!;
        const w1 = ti.wHi[i]!;
        let acc = 0;
        acc += data[r00 + i0]! * (p00 * w0);
        acc += data[r10 + i0]! * (p10 * w0);
        acc += data[r01 + i0]! * (p01 * w0);
        acc += data[r11 + i0]! * (p11 * w0);
        acc += data[r00 + i1]! * (p00 * w1);
        acc += data[r10 + i1]! * (p10 * w1);
        acc += data[r01 + i1]! * (p01 * w1);
        acc += data[r11 + i1]! * (p11 * w1);
        out[o++] = acc;
      }
    }
  }
  return out;
}

function generalTrilinear(data: VoxelArray, grid: SamplingGrid): Float32Array {
  const [sx, sy, sz] = grid.inShape;
  const [ox, oy, oz] = grid.outShape;
  const terms = coordinateTerms(grid);
  const c = mapVec3(grid.theta, (row) => row[3]);
  const out = new Float32Array(ox * oy * oz);
  const plane = sx * sy;
  let o = 0;
  // Typed-array reads below are in range: the coordinate tables have the output's lengths, and coordinates are
  // clamped into the input before flooring, so every data index is a voxel of it.
  for (let k = 0; k < oz; k++) {
    for (let j = 0; j < oy; j++) {
      for (let i = 0; i < ox; i++) {
        const x = unnormalizeClamp(terms[0][2][k]! + terms[0][1][j]! + terms[0][0][i]! + c[0], sx);
        const y = unnormalizeClamp(terms[1][2][k]! + terms[1][1][j]! + terms[1][0][i]! + c[1], sy);
        const z = unnormalizeClamp(terms[2][2][k]! + terms[2][1][j]! + terms[2][0][i]! + c[2], sz);
        const x0 = Math.floor(x), y0 = Math.floor(y), z0 = Math.floor(z);
        const x1 = Math.min(x0 + 1, sx - 1), y1 = Math.min(y0 + 1, sy - 1), z1 = Math.min(z0 + 1, sz - 1);
        const ax: [number, number] = [x0 + 1 - x, x - x0], ay: [number, number] = [y0 + 1 - y, y - y0], az: [number, number] = [z0 + 1 - z, z - z0];
        const p00 = az[0] * ay[0], p10 = az[1] * ay[0], p01 = az[0] * ay[1], p11 = az[1] * ay[1];
        const r00 = z0 * plane + y0 * sx, r10 = z1 * plane + y0 * sx, r01 = z0 * plane + y1 * sx, r11 = z1 * plane + y1 * sx;
        let acc = 0;
        acc += data[r00 + x0]! * (p00 * ax[0]);
        acc += data[r10 + x0]! * (p10 * ax[0]);
        acc += data[r01 + x0]! * (p01 * ax[0]);
        acc += data[r11 + x0]! * (p11 * ax[0]);
        acc += data[r00 + x1]! * (p00 * ax[1]);
        acc += data[r10 + x1]! * (p10 * ax[1]);
        acc += data[r01 + x1]! * (p01 * ax[1]);
        acc += data[r11 + x1]! * (p11 * ax[1]);
        out[o++] = acc;
      }
    }
  }
  return out;
}
