import type { VoxelArray } from '../volume';
import { coordinateTerms, isSeparable, separableCoordinates, unnormalizeClamp, type SamplingGrid } from './samplingGrid';
import { roundHalfEven } from './spacingGeometry';

/**
 * Nearest-neighbour resampling (torch grid_sample, nearest, border padding, align_corners=False: the clamped
 * coordinate rounded half to even). Keeps the array type: a uint8 label map stays uint8.
 */
export function resampleNearest<T extends VoxelArray>(data: T, grid: SamplingGrid): T {
  const [ox, oy, oz] = grid.outShape;
  const out = new (data.constructor as new (n: number) => T)(ox * oy * oz);
  const [sx, sy] = grid.inShape;
  const plane = sx * sy;
  if (isSeparable(grid)) {
    const [ci, cj, ck] = separableCoordinates(grid);
    const ii = Int32Array.from(ci, roundHalfEven);
    const jj = Int32Array.from(cj, (v) => roundHalfEven(v) * sx);
    const kk = Int32Array.from(ck, (v) => roundHalfEven(v) * plane);
    let o = 0;
    for (let k = 0; k < oz; k++) {
      for (let j = 0; j < oy; j++) {
        const row = kk[k] + jj[j];
        for (let i = 0; i < ox; i++) out[o++] = data[row + ii[i]];
      }
    }
    return out;
  }
  const terms = coordinateTerms(grid);
  const c = grid.theta.map((r) => r[3]);
  const size = grid.inShape;
  const at = (a: number, i: number, j: number, k: number) => roundHalfEven(unnormalizeClamp(terms[a][2][k] + terms[a][1][j] + terms[a][0][i] + c[a], size[a]));
  let o = 0;
  for (let k = 0; k < oz; k++) {
    for (let j = 0; j < oy; j++) {
      for (let i = 0; i < ox; i++) out[o++] = data[at(2, i, j, k) * plane + at(1, i, j, k) * sx + at(0, i, j, k)];
    }
  }
  return out;
}
