import type { Mat4, Vec3 } from '../core/volume';

/** The per-slice geometry that sorting and checking need. */
export interface SliceGeometry {
  readonly source: string;
  readonly rows: number;
  readonly columns: number;
  readonly imagePositionPatient: Vec3;
  readonly imageOrientationPatient: readonly [number, number, number, number, number, number];
  readonly pixelSpacing: readonly [number, number];
}

export interface SortedGeometry<T extends SliceGeometry> {
  /** Slices sorted by position along the normal (ascending). */
  readonly slices: readonly T[];
  /** Voxel index (i = column, j = row, k = slice) -> LPS mm. */
  readonly affineLps: Mat4;
  readonly sliceSpacing: number;
  /** Non-empty only when `allowIrregular` let a problem through. */
  readonly irregularities: readonly string[];
}

const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const dot = (a: Vec3, b: Vec3) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const fmt = (v: readonly number[]) => `[${v.map((x) => +x.toFixed(4)).join(', ')}]`;

/**
 * Voxel (i = column, j = row, k = slice) -> LPS mm for n slices from `first` to `last` ImagePositionPatient.
 * The k column is the mean step, so a tilted (sheared) but evenly spaced series is represented exactly.
 */
export function gridAffineLps(iop: readonly number[], pixelSpacing: readonly [number, number], first: Vec3, last: Vec3, n: number): Mat4 {
  const { row, col } = orientationAxes(iop);
  const step = sub(last, first).map((v) => v / (n - 1));
  const [rowSpacing, colSpacing] = pixelSpacing;
  return [
    [row[0] * colSpacing, col[0] * rowSpacing, step[0], first[0]],
    [row[1] * colSpacing, col[1] * rowSpacing, step[1], first[1]],
    [row[2] * colSpacing, col[2] * rowSpacing, step[2], first[2]],
    [0, 0, 0, 1],
  ];
}

/** Row direction, column direction and normal of an ImageOrientationPatient. */
export function orientationAxes(iop: readonly number[]): { row: Vec3; col: Vec3; normal: Vec3 } {
  const row: Vec3 = [iop[0], iop[1], iop[2]];
  const col: Vec3 = [iop[3], iop[4], iop[5]];
  return { row, col, normal: cross(row, col) };
}

function checkUniform<T extends SliceGeometry>(slices: readonly T[]): void {
  const ref = slices[0];
  for (const s of slices) {
    if (s.rows !== ref.rows || s.columns !== ref.columns) {
      throw new Error(`${s.source}: size ${s.columns}x${s.rows} differs from ${ref.source} (${ref.columns}x${ref.rows}) in the same series`);
    }
    if (s.imageOrientationPatient.some((v, n) => Math.abs(v - ref.imageOrientationPatient[n]) > 1e-4)) {
      throw new Error(`${s.source}: ImageOrientationPatient ${fmt(s.imageOrientationPatient)} differs from ${fmt(ref.imageOrientationPatient)} of ${ref.source} (mixed orientations in one series)`);
    }
    if (s.pixelSpacing.some((v, n) => Math.abs(v - ref.pixelSpacing[n]) > 1e-4 * ref.pixelSpacing[n])) {
      throw new Error(`${s.source}: PixelSpacing ${fmt(s.pixelSpacing)} differs from ${fmt(ref.pixelSpacing)} of ${ref.source}`);
    }
  }
  const { row, col } = orientationAxes(ref.imageOrientationPatient);
  if (Math.abs(Math.hypot(...row) - 1) > 1e-3 || Math.abs(Math.hypot(...col) - 1) > 1e-3 || Math.abs(dot(row, col)) > 1e-3) {
    throw new Error(`${ref.source}: ImageOrientationPatient ${fmt(ref.imageOrientationPatient)} is not two orthogonal unit vectors`);
  }
}

/**
 * Sorts slices along the normal (row x column) and checks that they form a regular grid: no duplicates, no gantry tilt,
 * no missing slices, constant spacing. With `allowIrregular` the last three become `irregularities` and the affine uses
 * the mean step from the first to the last slice (exact for a tilted but regular series).
 */
export function sortAndCheckGeometry<T extends SliceGeometry>(input: readonly T[], allowIrregular: boolean): SortedGeometry<T> {
  if (input.length < 2) throw new Error(`${input[0]?.source ?? 'series'}: a volume needs at least 2 slices, the series has ${input.length}`);
  checkUniform(input);
  const ref = input[0];
  const { normal } = orientationAxes(ref.imageOrientationPatient);
  const dist = new Map<T, number>(input.map((s) => [s, dot(s.imagePositionPatient, normal)]));
  const slices = [...input].sort((a, b) => dist.get(a)! - dist.get(b)!);
  const d = slices.map((s) => dist.get(s)!);
  const irregularities: string[] = [];
  const problem = (msg: string) => {
    if (!allowIrregular) throw new Error(`${msg} (pass allowIrregular to load it anyway)`);
    irregularities.push(msg);
  };
  for (let k = 1; k < slices.length; k++) {
    if (d[k] - d[k - 1] < 1e-3) throw new Error(`${slices[k].source} and ${slices[k - 1].source}: two slices at the same position ${fmt(slices[k].imagePositionPatient)} (duplicate or multi-acquisition series)`);
  }
  const n = slices.length;
  const first = slices[0].imagePositionPatient;
  const last = slices[n - 1].imagePositionPatient;
  const sliceSpacing = (d[n - 1] - d[0]) / (n - 1);
  const tiltTolerance = 0.05 * Math.min(...ref.pixelSpacing);
  const tilted = slices.find((s) => {
    const off = sub(s.imagePositionPatient, first);
    const along = dot(off, normal);
    return Math.hypot(off[0] - along * normal[0], off[1] - along * normal[1], off[2] - along * normal[2]) > tiltTolerance;
  });
  if (tilted) {
    problem(`${tilted.source}: slice positions are not along the slice normal ${fmt(normal)} (gantry tilt or sheared series)`);
  }
  const gaps = d.slice(1).map((v, k) => v - d[k]);
  const typical = [...gaps].sort((a, b) => a - b)[Math.floor(gaps.length / 2)];
  const badGap = gaps.findIndex((g) => Math.abs(g - typical) > 0.01 * typical + 1e-3);
  if (badGap >= 0) {
    const ratio = gaps[badGap] / typical;
    const kind = ratio > 1.5 && Math.abs(ratio - Math.round(ratio)) < 0.05 ? 'missing slice(s)' : 'inconsistent slice spacing';
    problem(`${kind}: gap of ${gaps[badGap].toFixed(4)} mm between ${slices[badGap].source} and ${slices[badGap + 1].source}, expected ${typical.toFixed(4)} mm`);
  }
  const affineLps = gridAffineLps(ref.imageOrientationPatient, ref.pixelSpacing, first, last, n);
  return { slices, affineLps, sliceSpacing, irregularities };
}
