import type { Mat4, Vec4 } from './volume';

/**
 * X with A X = B for 4x4 matrices, the way LAPACK `gesv` in OpenBLAS computes it (what torch.linalg.solve and
 * numpy.linalg.solve/inv call): LU with partial pivoting, then triangular solves that multiply by the reciprocal of
 * each pivot. MONAI's affines come from these calls, and matching their rounding keeps shapes, affines and the
 * nearest-neighbour tie breaks identical to MONAI's (e.g. its 1.4999999999999996 mm output spacing).
 */
export function solve4(a: Mat4, b: Mat4): Mat4 {
  const lu = a.map((r) => r.slice());
  const x = b.map((r) => r.slice());
  const n = 4;
  for (let j = 0; j < n; j++) {
    let p = j;
    for (let i = j + 1; i < n; i++) if (Math.abs(lu[i][j]) > Math.abs(lu[p][j])) p = i;
    if (lu[p][j] === 0) throw new RangeError('affine is singular');
    if (p !== j) {
      [lu[p], lu[j]] = [lu[j], lu[p]];
      [x[p], x[j]] = [x[j], x[p]];
    }
    const inv = 1 / lu[j][j];
    for (let i = j + 1; i < n; i++) {
      const l = lu[i][j] * inv;
      lu[i][j] = l;
      for (let k = j + 1; k < n; k++) lu[i][k] -= l * lu[j][k];
    }
  }
  for (let c = 0; c < n; c++) {
    for (let k = 0; k < n; k++) for (let i = k + 1; i < n; i++) x[i][c] -= x[k][c] * lu[i][k];
    for (let k = n - 1; k >= 0; k--) {
      x[k][c] *= 1 / lu[k][k];
      for (let i = 0; i < k; i++) x[i][c] -= x[k][c] * lu[i][k];
    }
  }
  return x.map((r) => [r[0], r[1], r[2], r[3]] as Vec4) as unknown as Mat4;
}

export const IDENTITY4: Mat4 = [
  [1, 0, 0, 0],
  [0, 1, 0, 0],
  [0, 0, 1, 0],
  [0, 0, 0, 1],
];

/** inv(A), computed as solve(A, I) (what torch.inverse and numpy.linalg.inv do). */
export function inverse4(a: Mat4): Mat4 {
  return solve4(a, IDENTITY4);
}

/** numpy/torch `allclose`: |a - b| <= atol + rtol * |b| element-wise. */
export function allClose(a: readonly (readonly number[])[], b: readonly (readonly number[])[], atol: number, rtol = 1e-5): boolean {
  return a.every((row, i) => row.every((v, j) => Math.abs(v - b[i][j]) <= atol + rtol * Math.abs(b[i][j])));
}
