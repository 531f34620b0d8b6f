/**
 * Small dense linear algebra on 3x3 (and 4x4, via `linalg4`) matrices in float64, written out so that the order of
 * floating-point operations is the one LAPACK/numpy use where MONAI's results depend on it.
 */
import { AXES, mapVec3, vec3, type Axis, type Tuple3 } from './volume';

export type Row3 = Tuple3<number>;
export type Mat3 = Tuple3<Row3>;

/** A row of at least three entries (a Vec3, a Vec4, a Row3). */
type Row3Plus = readonly [number, number, number, ...number[]];

/** The upper-left 3x3 block (of a Mat4, say), as a fresh matrix. */
export function mat3(rows: readonly [Row3Plus, Row3Plus, Row3Plus, ...Row3Plus[]]): Mat3 {
  return mapVec3([rows[0], rows[1], rows[2]], (r) => [r[0], r[1], r[2]]);
}

export function transpose3(a: Mat3): Mat3 {
  return vec3((i) => [a[0][i], a[1][i], a[2][i]]);
}

/** Sequential (left to right) dot products, as numpy's small matmul does. */
export function mul3(a: Mat3, b: Mat3): Mat3 {
  return vec3((i) => vec3((j) => a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j]));
}

export function det3(a: Mat3): number {
  return (
    a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
    a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
    a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0])
  );
}

/** The two axes other than `i`, in order. */
function otherAxes(i: Axis): [Axis, Axis] {
  return i === 0 ? [1, 2] : i === 1 ? [0, 2] : [0, 1];
}

export function inverse3(a: Mat3): Mat3 {
  const d = det3(a);
  if (d === 0 || !Number.isFinite(d)) throw new RangeError('3x3 matrix is singular');
  const c = (i: Axis, j: Axis) => {
    const r = otherAxes(i);
    const s = otherAxes(j);
    return a[r[0]][s[0]] * a[r[1]][s[1]] - a[r[0]][s[1]] * a[r[1]][s[0]];
  };
  return vec3((i) => vec3((j) => (((i + j) % 2 === 0 ? 1 : -1) * c(j, i)) / d));
}

/** Euclidean norms of the columns. */
export function columnNorms3(a: Mat3): [number, number, number] {
  return vec3((j) => Math.sqrt(a[0][j] * a[0][j] + a[1][j] * a[1][j] + a[2][j] * a[2][j]));
}

/**
 * The orthogonal matrix closest to `a` (polar decomposition), by the scaled Newton iteration
 * X <- (g X + inv(X)^T / g) / 2 that nifti1_io's `nifti_mat33_polar` uses; nibabel gets the same factor by SVD.
 */
export function polarOrthogonal3(a: Mat3): Mat3 {
  let x = mapVec3(a, (r): Row3 => [...r]);
  if (det3(x) === 0) throw new RangeError('direction matrix is singular');
  const norm1 = (m: Mat3) => Math.max(...vec3((j) => Math.abs(m[0][j]) + Math.abs(m[1][j]) + Math.abs(m[2][j])));
  const normInf = (m: Mat3) => Math.max(...m.map((r) => Math.abs(r[0]) + Math.abs(r[1]) + Math.abs(r[2])));
  let diff = 1;
  for (let k = 0; k < 100; k++) {
    const yt = transpose3(inverse3(x));
    // Scaling speeds up the first steps; near convergence plain Newton converges quadratically.
    const gamma = diff > 0.3 ? Math.sqrt(Math.sqrt(norm1(yt) * normInf(yt)) / Math.sqrt(norm1(x) * normInf(x))) : 1;
    const z = mapVec3(x, (r, i) => mapVec3(r, (v, j) => 0.5 * (gamma * v + yt[i][j] / gamma)));
    diff = 0;
    for (const i of AXES) for (const j of AXES) diff += Math.abs(z[i][j] - x[i][j]);
    x = z;
    if (diff < 1e-15) break;
  }
  return x;
}

/** Upper-triangular R with R^T R = a for a symmetric positive definite `a` (numpy `cholesky(a).T`). */
export function choleskyUpper3(a: Mat3): Mat3 {
  const l: Mat3 = [
    [0, 0, 0],
    [0, 0, 0],
    [0, 0, 0],
  ];
  for (const j of AXES) {
    const before = AXES.slice(0, j);
    let d = a[j][j];
    for (const k of before) d -= l[j][k] * l[j][k];
    if (!(d > 0)) throw new RangeError('matrix is not positive definite (degenerate affine)');
    l[j][j] = Math.sqrt(d);
    for (const i of AXES.slice(j + 1)) {
      let s = a[i][j];
      for (const k of before) s -= l[i][k] * l[j][k];
      l[i][j] = s / l[j][j];
    }
  }
  return transpose3(l);
}
