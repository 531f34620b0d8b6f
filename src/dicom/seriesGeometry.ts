import { mapVec3, type Mat4, type Vec3 } from '../core/volume';
import type { ImageOrientation } from './seriesInfo';

/** The per-slice geometry that sorting and checking need. */
export interface SliceGeometry {
  readonly source: string;
  readonly rows: number;
  readonly columns: number;
  readonly imagePositionPatient: Vec3;
  readonly imageOrientationPatient: ImageOrientation;
  readonly pixelSpacing: readonly [number, number];
}

export interface SortedGeometry<T extends SliceGeometry> {
  /** Slices sorted by position along the normal (ascending). */
  readonly slices: readonly [T, ...T[]];
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

/** Whether `a` and `b` differ in length, or somewhere by more than `tolerance(b's entry)`. */
function differs(a: readonly number[], b: readonly number[], tolerance: (ref: number) => number): boolean {
  return a.length !== b.length || a.some((v, n) => {
    const ref = b[n];
    return ref === undefined || Math.abs(v - ref) > tolerance(ref);
  });
}

/** [xs[0], xs[1]], [xs[1], xs[2]], ...: each element with the one after it. */
function consecutive<T>(xs: readonly T[]): [T, T][] {
  const pairs: [T, T][] = [];
  let previous: { value: T } | undefined;
  for (const x of xs) {
    if (previous) pairs.push([previous.value, x]);
    previous = { value: x };
  }
  return pairs;
}

/**
 * Voxel (i = column, j = row, k = slice) -> LPS mm for n slices from `first` to `last` ImagePositionPatient.
 * The k column is the mean step, so a tilted (sheared) but evenly spaced series is represented exactly.
 */
export function gridAffineLps(iop: ImageOrientation, pixelSpacing: readonly [number, number], first: Vec3, last: Vec3, n: number): Mat4 {
  const { row, col } = orientationAxes(iop);
  const step = mapVec3(sub(last, first), (v) => v / (n - 1));
  const [rowSpacing, colSpacing] = pixelSpacing;
  return [
    [row[0] * colSpacing, col[0] * rowSpacing, step[0], first[0]],
    [row[1] * colSpacing, col[1] * rowSpacing, step[1], first[1]],
    [row[2] * colSpacing, col[2] * rowSpacing, step[2], first[2]],
    [0, 0, 0, 1],
  ];
}

/** Row direction, column direction and normal of an ImageOrientationPatient. */
export function orientationAxes(iop: ImageOrientation): { row: Vec3; col: Vec3; normal: Vec3 } {
  const row: Vec3 = [iop[0], iop[1], iop[2]];
  const col: Vec3 = [iop[3], iop[4], iop[5]];
  return { row, col, normal: cross(row, col) };
}

function checkUniform<T extends SliceGeometry>(ref: T, slices: readonly T[]): void {
  for (const s of slices) {
    if (s.rows !== ref.rows || s.columns !== ref.columns) {
      throw new Error(`${s.source}: size ${s.columns}x${s.rows} differs from ${ref.source} (${ref.columns}x${ref.rows}) in the same series`);
    }
    if (differs(s.imageOrientationPatient, ref.imageOrientationPatient, () => 1e-4)) {
      throw new Error(`${s.source}: ImageOrientationPatient ${fmt(s.imageOrientationPatient)} differs from ${fmt(ref.imageOrientationPatient)} of ${ref.source} (mixed orientations in one series)`);
    }
    if (differs(s.pixelSpacing, ref.pixelSpacing, (r) => 1e-4 * r)) {
      throw new Error(`${s.source}: PixelSpacing ${fmt(s.pixelSpacing)} differs from ${fmt(ref.pixelSpacing)} of ${ref.source}`);
    }
  }
  const { row, col } = orientationAxes(ref.imageOrientationPatient);
  if (Math.abs(Math.hypot(...row) - 1) > 1e-3 || Math.abs(Math.hypot(...col) - 1) > 1e-3 || Math.abs(dot(row, col)) > 1e-3) {
    throw new Error(`${ref.source}: ImageOrientationPatient ${fmt(ref.imageOrientationPatient)} is not two orthogonal unit vectors`);
  }
}

/** The middle value (the upper one of the two middles for an even count); NaN for none. */
function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
}

/**
 * Sorts slices along the normal (row x column) and checks that they form a regular grid: no duplicates, no gantry tilt,
 * no missing slices, constant spacing. With `allowIrregular` the last three become `irregularities` and the affine uses
 * the mean step from the first to the last slice (exact for a tilted but regular series).
 */
export function sortAndCheckGeometry<T extends SliceGeometry>(input: readonly T[], allowIrregular: boolean): SortedGeometry<T> {
  const ref = input[0];
  if (ref === undefined || input.length < 2) throw new Error(`${ref?.source ?? 'series'}: a volume needs at least 2 slices, the series has ${input.length}`);
  checkUniform(ref, input);
  const { normal } = orientationAxes(ref.imageOrientationPatient);
  const along = (slice: T) => ({ slice, d: dot(slice.imagePositionPatient, normal) });
  const unsorted: [{ slice: T; d: number }, ...{ slice: T; d: number }[]] = [along(ref), ...input.slice(1).map(along)];
  const [first, ...rest] = unsorted.sort((a, b) => a.d - b.d);
  const last = rest.at(-1) ?? first;
  const slices: [T, ...T[]] = [first.slice, ...rest.map((e) => e.slice)];
  const steps = consecutive([first, ...rest]).map(([a, b]) => ({ a: a.slice, b: b.slice, gap: b.d - a.d }));
  const irregularities: string[] = [];
  const problem = (msg: string) => {
    if (!allowIrregular) throw new Error(`${msg} (pass allowIrregular to load it anyway)`);
    irregularities.push(msg);
  };
  for (const { a, b, gap } of steps) {
    if (gap < 1e-3) throw new Error(`${b.source} and ${a.source}: two slices at the same position ${fmt(b.imagePositionPatient)} (duplicate or multi-acquisition series)`);
  }
  const n = slices.length;
  const firstPosition = first.slice.imagePositionPatient;
  const sliceSpacing = (last.d - first.d) / (n - 1);
  const tiltTolerance = 0.05 * Math.min(...ref.pixelSpacing);
  const tilted = slices.find((s) => {
    const off = sub(s.imagePositionPatient, firstPosition);
    const alongNormal = dot(off, normal);
    return Math.hypot(off[0] - alongNormal * normal[0], off[1] - alongNormal * normal[1], off[2] - alongNormal * normal[2]) > tiltTolerance;
  });
  if (tilted) {
    problem(`${tilted.source}: slice positions are not along the slice normal ${fmt(normal)} (gantry tilt or sheared series)`);
  }
  const typical = median(steps.map((s) => s.gap));
  const bad = steps.find((s) => Math.abs(s.gap - typical) > 0.01 * typical + 1e-3);
  if (bad) {
    const ratio = bad.gap / typical;
    const kind = ratio > 1.5 && Math.abs(ratio - Math.round(ratio)) < 0.05 ? 'missing slice(s)' : 'inconsistent slice spacing';
    problem(`${kind}: gap of ${bad.gap.toFixed(4)} mm between ${bad.a.source} and ${bad.b.source}, expected ${typical.toFixed(4)} mm`);
  }
  const affineLps = gridAffineLps(ref.imageOrientationPatient, ref.pixelSpacing, firstPosition, last.slice.imagePositionPatient, n);
  return { slices, affineLps, sliceSpacing, irregularities };
}
