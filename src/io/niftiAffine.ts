import { mapVec3, type Axis, type Mat4, type Vec3, type Vec4, spacingOf, vec3 } from '../core/volume';
import { det3, mat3, polarOrthogonal3, type Mat3 } from '../core/matrix3';
import type { Nifti1Header } from './niftiHeader';

const F32_EPS = 2 ** -23;

/**
 * Voxel -> RAS affine of a NIfTI-1 header, chosen the way nibabel's `get_best_affine` (and so MONAI) chooses it:
 * the sform when sform_code > 0, else the qform when qform_code > 0, else nibabel's pixdim-only fallback (x flipped,
 * origin at the volume centre). Bad geometry (zero, negative or NaN spacing; a singular matrix) is an error.
 */
export function affineOfNiftiHeader(h: Nifti1Header, file: string): Mat4 {
  let affine: Mat4;
  if (h.sformCode > 0) {
    affine = [h.srow[0], h.srow[1], h.srow[2], [0, 0, 0, 1]];
  } else {
    checkPixdim(h, file);
    affine = h.qformCode > 0 ? qformAffine(h, file) : pixdimAffine(h);
  }
  checkAffine(affine, file, h.sformCode > 0 ? 'sform' : h.qformCode > 0 ? 'qform' : 'pixdim');
  return affine;
}

function checkPixdim(h: Nifti1Header, file: string): void {
  const p = h.pixdim.slice(1, 4);
  if (!p.every((v) => Number.isFinite(v) && v > 0)) throw new Error(`${file}: invalid voxel spacing (pixdim ${p.join(' x ')}); every spacing must be a positive number`);
}

function checkAffine(a: Mat4, file: string, source: string): void {
  if (!a.every((row) => row.every(Number.isFinite))) throw new Error(`${file}: the ${source} affine has a NaN or infinite entry`);
  const spacing = spacingOf(a);
  if (!spacing.every((s) => s > 0) || det3(mat3(a)) === 0) {
    throw new Error(`${file}: the ${source} affine is degenerate (voxel spacing ${spacing.join(' x ')} mm); zero spacing is not a valid image`);
  }
}

/** pixdim[0..3]; a parsed header has all eight, NaN stands for a missing one (and gives a refused affine). */
function pixdim4(h: Nifti1Header): Vec4 {
  const [qfac = NaN, dx = NaN, dy = NaN, dz = NaN] = h.pixdim;
  return [qfac, dx, dy, dz];
}

/** nibabel's qform: quaternion (b, c, d) with a = sqrt(1 - b^2 - c^2 - d^2), times the pixdims, qfac on z. */
function qformAffine(h: Nifti1Header, file: string): Mat4 {
  const [x, y, z] = h.quatern;
  let w2 = 1 - (x * x + y * y + z * z);
  if (w2 < 0) {
    if (w2 < -3 * F32_EPS) throw new Error(`${file}: invalid qform quaternion (b^2+c^2+d^2 = ${1 - w2} > 1)`);
    w2 = 0;
  }
  const r = quaternionToMatrix(Math.sqrt(w2), x, y, z);
  const [qfacCode, dx, dy, dz] = pixdim4(h);
  const qfac = qfacCode === -1 ? -1 : 1;
  const zoom: Vec3 = [dx, dy, dz * qfac];
  const row = (i: Axis): Vec4 => [r[i][0] * zoom[0], r[i][1] * zoom[1], r[i][2] * zoom[2], h.qoffset[i]];
  return [row(0), row(1), row(2), [0, 0, 0, 1]];
}

/** transforms3d / nibabel `quat2mat`. */
function quaternionToMatrix(w: number, x: number, y: number, z: number): Mat3 {
  const n = w * w + x * x + y * y + z * z;
  if (n < Number.EPSILON) return [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  const s = 2 / n;
  const [X, Y, Z] = [x * s, y * s, z * s];
  const [wX, wY, wZ, xX, xY, xZ, yY, yZ, zZ] = [w * X, w * Y, w * Z, x * X, x * Y, x * Z, y * Y, y * Z, z * Z];
  return [
    [1 - (yY + zZ), xY - wZ, xZ + wY],
    [xY + wZ, 1 - (xX + zZ), yZ - wX],
    [xZ - wY, yZ + wX, 1 - (xX + yY)],
  ];
}

/** nibabel `shape_zoom_affine` (ANALYZE convention): x flipped, voxel (n-1)/2 at the origin. */
function pixdimAffine(h: Nifti1Header): Mat4 {
  const [, dx, dy, dz] = pixdim4(h);
  const zooms: Vec3 = [-dx, dy, dz];
  const [, nx = NaN, ny = NaN, nz = NaN] = h.dim;
  const origin = mapVec3([nx, ny, nz], (n) => (n - 1) / 2);
  return [
    [zooms[0], 0, 0, -origin[0] * zooms[0]],
    [0, zooms[1], 0, -origin[1] * zooms[1]],
    [0, 0, zooms[2], -origin[2] * zooms[2]],
    [0, 0, 0, 1],
  ];
}

export interface QformParams {
  readonly quatern: Vec3;
  readonly qoffset: Vec3;
  /** pixdim[1..3]. */
  readonly spacing: Vec3;
  readonly qfac: 1 | -1;
}

/** nifti1_io `nifti_mat44_to_quatern`: the qform closest to an affine (shear is dropped, as the format requires). */
export function qformOfAffine(a: Mat4): QformParams {
  const m = mat3(a);
  const spacing = vec3((j) => Math.hypot(m[0][j], m[1][j], m[2][j]));
  const unit = mapVec3(m, (row) => mapVec3(row, (v, j) => v / spacing[j]));
  const p = polarOrthogonal3(unit);
  const qfac: 1 | -1 = det3(p) > 0 ? 1 : -1;
  if (qfac < 0) for (const row of p) row[2] = -row[2];
  const [[r11, r12, r13], [r21, r22, r23], [r31, r32, r33]] = p;
  let qa: number, qb: number, qc: number, qd: number;
  const trace = r11 + r22 + r33 + 1;
  if (trace > 0.5) {
    qa = 0.5 * Math.sqrt(trace);
    qb = (0.25 * (r32 - r23)) / qa;
    qc = (0.25 * (r13 - r31)) / qa;
    qd = (0.25 * (r21 - r12)) / qa;
  } else {
    const xd = 1 + r11 - (r22 + r33);
    const yd = 1 + r22 - (r11 + r33);
    const zd = 1 + r33 - (r11 + r22);
    if (xd > 1) {
      qb = 0.5 * Math.sqrt(xd);
      qc = (0.25 * (r12 + r21)) / qb;
      qd = (0.25 * (r13 + r31)) / qb;
      qa = (0.25 * (r32 - r23)) / qb;
    } else if (yd > 1) {
      qc = 0.5 * Math.sqrt(yd);
      qb = (0.25 * (r12 + r21)) / qc;
      qd = (0.25 * (r23 + r32)) / qc;
      qa = (0.25 * (r13 - r31)) / qc;
    } else {
      qd = 0.5 * Math.sqrt(zd);
      qb = (0.25 * (r13 + r31)) / qd;
      qc = (0.25 * (r23 + r32)) / qd;
      qa = (0.25 * (r21 - r12)) / qd;
    }
    if (qa < 0) [qb, qc, qd] = [-qb, -qc, -qd];
  }
  return { quatern: [qb, qc, qd], qoffset: [a[0][3], a[1][3], a[2][3]], spacing, qfac };
}
