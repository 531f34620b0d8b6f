/**
 * The one image type of the pipeline: voxels and their geometry travel together.
 *
 * Layout: voxel (i, j, k) lives at `data[i + nx * (j + ny * k)]` (i fastest), the order NIfTI, NRRD and DICOM
 * slices store, so file I/O never transposes. `affineRas` maps a voxel index (i, j, k, 1) to RAS millimetres,
 * exactly as a NIfTI sform or MONAI's `MetaTensor.affine` does.
 */
export type Vec3 = readonly [number, number, number];
export type Vec4 = readonly [number, number, number, number];
/** Row-major 4x4 homogeneous matrix. */
export type Mat4 = readonly [Vec4, Vec4, Vec4, Vec4];

/** An index into a Vec3 (an image or world axis) and into a Vec4 / a Mat4 row. */
export type Axis = 0 | 1 | 2;
export type Axis4 = 0 | 1 | 2 | 3;
/** The axes in order, for loops whose index must stay typed (`for (const a of AXES)`). */
export const AXES: readonly [0, 1, 2] = [0, 1, 2];
export const AXES4: readonly [0, 1, 2, 3] = [0, 1, 2, 3];
/** What the tuple helpers build: mutable, and assignable to Vec3 / Vec4 / Mat4. */
export type Tuple3<T> = [T, T, T];
export type Tuple4<T> = [T, T, T, T];

/** [f(0), f(1), f(2)]. */
export function vec3<T>(f: (axis: Axis) => T): Tuple3<T> {
  return [f(0), f(1), f(2)];
}

/** `v.map(f)` that keeps the tuple type. */
export function mapVec3<T, U>(v: readonly [T, T, T], f: (x: T, axis: Axis) => U): Tuple3<U> {
  return [f(v[0], 0), f(v[1], 1), f(v[2], 2)];
}

/** [f(0), f(1), f(2), f(3)]. */
export function vec4<T>(f: (i: Axis4) => T): Tuple4<T> {
  return [f(0), f(1), f(2), f(3)];
}

/** `v.map(f)` that keeps the tuple type. */
export function mapVec4<T, U>(v: readonly [T, T, T, T], f: (x: T, i: Axis4) => U): Tuple4<U> {
  return [f(v[0], 0), f(v[1], 1), f(v[2], 2), f(v[3], 3)];
}

/** The 4x4 matrix of entries f(row, column). */
export function mat4(f: (row: Axis4, col: Axis4) => number): Tuple4<Tuple4<number>> {
  return vec4((r) => vec4((c) => f(r, c)));
}

export type VoxelArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

export interface Volume<T extends VoxelArray = Float32Array> {
  readonly data: T;
  /** [nx, ny, nz]: voxel counts along index axes i, j, k. */
  readonly shape: Vec3;
  /** Voxel index -> RAS mm. */
  readonly affineRas: Mat4;
}

export type LabelVolume = Volume<Uint8Array>;

export function voxelCount(shape: Vec3): number {
  return shape[0] * shape[1] * shape[2];
}

/** Builds a volume after checking that the data length matches the shape and the geometry is usable. */
export function makeVolume<T extends VoxelArray>(data: T, shape: Vec3, affineRas: Mat4): Volume<T> {
  for (const n of shape) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`volume shape must be positive integers, got [${shape.join(', ')}]`);
  }
  if (data.length !== voxelCount(shape)) {
    throw new RangeError(`volume data has ${data.length} voxels, shape [${shape.join(', ')}] needs ${voxelCount(shape)}`);
  }
  for (const row of affineRas) for (const v of row) if (!Number.isFinite(v)) throw new RangeError('volume affine has a non-finite entry');
  return { data, shape, affineRas };
}

/** Column norms of the affine's 3x3 part: the voxel spacing in mm along i, j, k. */
export function spacingOf(affine: Mat4): Vec3 {
  return vec3((c) => Math.hypot(affine[0][c], affine[1][c], affine[2][c]));
}

export function mulMat4(a: Mat4, b: Mat4): Mat4 {
  return mat4((i, j) => a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j] + a[i][3] * b[3][j]);
}

/** Inverse of an affine (last row 0 0 0 1) matrix. */
export function invertAffine(m: Mat4): Mat4 {
  const [a, b, c] = [m[0], m[1], m[2]];
  const det =
    a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) + a[2] * (b[0] * c[1] - b[1] * c[0]);
  if (Math.abs(det) < 1e-12) throw new RangeError('affine is singular (zero spacing or degenerate direction)');
  const inv: Tuple3<Vec3> = [
    [(b[1] * c[2] - b[2] * c[1]) / det, (a[2] * c[1] - a[1] * c[2]) / det, (a[1] * b[2] - a[2] * b[1]) / det],
    [(b[2] * c[0] - b[0] * c[2]) / det, (a[0] * c[2] - a[2] * c[0]) / det, (a[2] * b[0] - a[0] * b[2]) / det],
    [(b[0] * c[1] - b[1] * c[0]) / det, (a[1] * c[0] - a[0] * c[1]) / det, (a[0] * b[1] - a[1] * b[0]) / det],
  ];
  const t: Vec3 = [m[0][3], m[1][3], m[2][3]];
  const row = (i: Axis): Vec4 => [inv[i][0], inv[i][1], inv[i][2], -(inv[i][0] * t[0] + inv[i][1] * t[1] + inv[i][2] * t[2])];
  return [row(0), row(1), row(2), [0, 0, 0, 1]];
}

/** RAS <-> LPS: negate the first two world axes (the conversion is its own inverse). */
export function flipRasLps(m: Mat4): Mat4 {
  return [mapVec4(m[0], (v) => -v), mapVec4(m[1], (v) => -v), m[2], m[3]];
}
