import { AXES, mapVec3, mulMat4, vec3, type Axis, type Mat4, type Tuple4, type Vec3, type Volume, type VoxelArray } from '../core/volume';
import { columnNorms3, mat3, polarOrthogonal3 } from '../core/matrix3';
import { permuteFlipAxes } from './permuteFlip';

/** For one index axis: the world axis (0 = R/L, 1 = A/P, 2 = S/I) it runs along, and whether it runs backwards. */
export interface AxisOrientation {
  readonly worldAxis: 0 | 1 | 2;
  readonly flip: boolean;
}
export type Orientation = readonly [AxisOrientation, AxisOrientation, AxisOrientation];

/** What `orientToRas` did, enough to undo it exactly. */
export interface OrientationRecord {
  readonly orientation: Orientation;
  readonly inputShape: Vec3;
  readonly inputAffine: Mat4;
}

/**
 * nibabel `io_orientation`: for each index axis, the world axis it is closest to (largest component of the nearest
 * rotation, axes taken greedily so each world axis is used once) and its direction.
 */
export function ioOrientation(affine: Mat4): Orientation {
  const rzs = mat3(affine);
  const zooms = mapVec3(columnNorms3(rzs), (z) => (z === 0 ? 1 : z));
  const r = polarOrthogonal3(mapVec3(rzs, (row) => mapVec3(row, (v, j) => v / zooms[j])));
  // In index-axis order: each takes the world axis still free that it is closest to.
  return vec3((inAx): AxisOrientation => {
    const col: Vec3 = [r[0][inAx], r[1][inAx], r[2][inAx]];
    let best: Axis = 0;
    for (const w of [1, 2] as const) if (Math.abs(col[w]) > Math.abs(col[best])) best = w;
    if (col[best] === 0) throw new RangeError(`affine leaves index axis ${inAx} with no world direction`);
    for (const j of AXES) r[best][j] = 0;
    return { worldAxis: best, flip: col[best] < 0 };
  });
}

/** The index axis that runs along world axis `d` (an orientation uses each world axis once). */
function indexAxisAlong(o: Orientation, d: Axis): Axis {
  const p = AXES.find((i) => o[i].worldAxis === d);
  if (p === undefined) throw new RangeError(`orientation uses no index axis along world axis ${d}`);
  return p;
}

/** nibabel `inv_ornt_aff`: maps indices of the reoriented array back to indices of the input (flip, then transpose). */
function undoOrientationMatrix(o: Orientation, inputShape: Vec3): Mat4 {
  const m: Tuple4<Tuple4<number>> = [
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 1],
  ];
  for (const p of AXES) {
    const sign = o[p].flip ? -1 : 1;
    const centre = -(inputShape[p] - 1) / 2;
    m[p][o[p].worldAxis] = sign;
    m[p][3] = sign * centre - centre;
  }
  return m;
}

/**
 * MONAI `Orientationd(axcodes="RAS")`: flips and permutes the index axes so that they increase along R, A, S. The
 * affine becomes `affine @ inv_ornt_aff` as MONAI computes it; the data is copied (the input is returned untouched
 * when it already is RAS).
 */
export function orientToRas<T extends VoxelArray>(volume: Volume<T>): { volume: Volume<T>; record: OrientationRecord } {
  const o = ioOrientation(volume.affineRas);
  const record: OrientationRecord = { orientation: o, inputShape: volume.shape, inputAffine: volume.affineRas };
  if (o.every((a, i) => a.worldAxis === i && !a.flip)) return { volume, record };
  const source = vec3((d) => indexAxisAlong(o, d));
  const data = permuteFlipAxes(volume.data, volume.shape, source, mapVec3(source, (p) => o[p].flip));
  const shape = mapVec3(source, (p) => volume.shape[p]);
  return { volume: { data, shape, affineRas: mulMat4(volume.affineRas, undoOrientationMatrix(o, volume.shape)) }, record };
}

/** Inverse of `orientToRas` (MONAI's Invertd step): back to the input's axis order, shape and exact affine. */
export function undoOrientation<T extends VoxelArray>(volume: Volume<T>, record: OrientationRecord): Volume<T> {
  const o = record.orientation;
  const expected = vec3((d) => record.inputShape[indexAxisAlong(o, d)]);
  if (!volume.shape.every((n, i) => n === expected[i])) {
    throw new RangeError(`undoOrientation: volume shape [${volume.shape.join(', ')}] is not the reoriented shape [${expected.join(', ')}]`);
  }
  if (o.every((a, i) => a.worldAxis === i && !a.flip)) return { ...volume, affineRas: record.inputAffine };
  const source = mapVec3(o, (a) => a.worldAxis);
  const data = permuteFlipAxes(volume.data, volume.shape, source, mapVec3(o, (a) => a.flip));
  return { data, shape: record.inputShape, affineRas: record.inputAffine };
}
