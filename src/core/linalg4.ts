import { AXES4, type Mat4, type Tuple4 } from './volume';

/**
 * X with A X = B for 4x4 matrices, the way LAPACK `gesv` in OpenBLAS computes it (what torch.linalg.solve and
 * numpy.linalg.solve/inv call): LU with partial pivoting, then triangular solves that multiply by the reciprocal of
 * each pivot. MONAI's affines come from these calls, and matching their rounding keeps shapes, affines and the
 * nearest-neighbour tie breaks identical to MONAI's (e.g. its 1.4999999999999996 mm output spacing).
 */
export function solve4(a: Mat4, b: Mat4): Mat4 {
  const rows = (m: Mat4): Tuple4<Tuple4<number>> => [[...m[0]], [...m[1]], [...m[2]], [...m[3]]];
  const lu = rows(a);
  const x = rows(b);
  for (const j of AXES4) {
    let p = j;
    for (const i of AXES4.slice(j + 1)) if (Math.abs(lu[i][j]) > Math.abs(lu[p][j])) p = i;
    if (lu[p][j] === 0) throw new RangeError('affine is singular');
    if (p !== j) {
      [lu[p], lu[j]] = [lu[j], lu[p]];
      [x[p], x[j]] = [x[j], x[p]];
    }
    const inv = 1 / lu[j][j];
    for (const i of AXES4.slice(j + 1)) {
      const l = lu[i][j] * inv;
      lu[i][j] = l;
      for (const k of AXES4.slice(j + 1)) lu[i][k] -= l * lu[j][k];
    }
  }
  for (const c of AXES4) {
    for (const k of AXES4) for (const i of AXES4.slice(k + 1)) x[i][c] -= x[k][c] * lu[i][k];
    for (const k of [3, 2, 1, 0] as const) {
      x[k][c] *= 1 / lu[k][k];
      for (const i of AXES4.slice(0, k)) x[i][c] -= x[k][c] * lu[i][k];
    }
  }
  return x;
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
export function allClose(a: Mat4, b: Mat4, atol: number, rtol = 1e-5): boolean {
  return AXES4.every((i) => AXES4.every((j) => Math.abs(a[i][j] - b[i][j]) <= atol + rtol * Math.abs(b[i][j])));
}
