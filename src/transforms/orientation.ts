import { mulMat4, type Mat4, type Vec3, type Vec4, type Volume, type VoxelArray } from '../core/volume';
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
  const zooms = columnNorms3(rzs).map((z) => (z === 0 ? 1 : z));
  const r = polarOrthogonal3(rzs.map((row) => row.map((v, j) => v / zooms[j])));
  const out: AxisOrientation[] = [];
  for (let inAx = 0; inAx < 3; inAx++) {
    const col = [r[0][inAx], r[1][inAx], r[2][inAx]];
    let best = 0;
    for (let w = 1; w < 3; w++) if (Math.abs(col[w]) > Math.abs(col[best])) best = w;
    if (col[best] === 0) throw new RangeError(`affine leaves index axis ${inAx} with no world direction`);
    out.push({ worldAxis: best as 0 | 1 | 2, flip: col[best] < 0 });
    for (let j = 0; j < 3; j++) r[best][j] = 0;
  }
  return out as unknown as Orientation;
}

/** nibabel `inv_ornt_aff`: maps indices of the reoriented array back to indices of the input (flip, then transpose). */
function undoOrientationMatrix(o: Orientation, inputShape: Vec3): Mat4 {
  const m: number[][] = [
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 0],
    [0, 0, 0, 1],
  ];
  for (let p = 0; p < 3; p++) {
    const sign = o[p].flip ? -1 : 1;
    const centre = -(inputShape[p] - 1) / 2;
    m[p][o[p].worldAxis] = sign;
    m[p][3] = sign * centre - centre;
  }
  return m.map((r) => r as unknown as Vec4) as unknown as Mat4;
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
  const source = [0, 1, 2].map((d) => o.findIndex((a) => a.worldAxis === d)) as unknown as Vec3;
  const data = permuteFlipAxes(volume.data, volume.shape, source, source.map((p) => o[p].flip));
  const shape = source.map((p) => volume.shape[p]) as unknown as Vec3;
  return { volume: { data, shape, affineRas: mulMat4(volume.affineRas, undoOrientationMatrix(o, volume.shape)) }, record };
}

/** Inverse of `orientToRas` (MONAI's Invertd step): back to the input's axis order, shape and exact affine. */
export function undoOrientation<T extends VoxelArray>(volume: Volume<T>, record: OrientationRecord): Volume<T> {
  const o = record.orientation;
  const expected = [0, 1, 2].map((d) => record.inputShape[o.findIndex((a) => a.worldAxis === d)]);
  if (!volume.shape.every((n, i) => n === expected[i])) {
    throw new RangeError(`undoOrientation: volume shape [${volume.shape.join(', ')}] is not the reoriented shape [${expected.join(', ')}]`);
  }
  if (o.every((a, i) => a.worldAxis === i && !a.flip)) return { ...volume, affineRas: record.inputAffine };
  const source = o.map((a) => a.worldAxis) as unknown as Vec3;
  const data = permuteFlipAxes(volume.data, volume.shape, source, o.map((a) => a.flip));
  return { data, shape: record.inputShape, affineRas: record.inputAffine };
}
