import type { JsonObject } from '../core/json';
import { gridMismatch } from '../core/gridCheck';
import { det3, mat3 } from '../core/matrix3';
import { AXES, vec3, type Vec3, type Volume, type VoxelArray } from '../core/volume';
import type { StoredImage } from '../io/readStoredImage';

/**
 * One structure of a label map, TotalSegmentator's `statistics.json` entry plus its geometry. Everything is measured on
 * the label map's own (the input's) grid.
 */
export interface StructureStatistics {
  readonly label: number;
  readonly voxels: number;
  /** mm^3: voxels x |det| of the affine's 3x3. */
  readonly volume: number;
  /** Mean of the CT under the mask (HU), then its population standard deviation, minimum and maximum. */
  readonly intensity: number;
  readonly intensity_std: number;
  readonly intensity_min: number;
  readonly intensity_max: number;
  /** Inclusive voxel indices [[i0, j0, k0], [i1, j1, k1]], axes as the file stores them. */
  readonly bbox: readonly [Vec3, Vec3];
  /** The mean voxel index mapped by the affine: RAS mm. */
  readonly centroid: Vec3;
  /** The mask reaches the scan's border (index 0 or n-1 on some axis): the structure may continue outside it. */
  readonly incomplete: boolean;
}

/** Structure name -> statistics, for the structures present only, in label order. */
export type StatisticsReport = Readonly<Record<string, StructureStatistics>>;

/** Label value -> structure name (as `InferRecipe.labelNames`); a value without a name is reported as `label_<value>`. */
export type LabelNames = Readonly<Record<string, string>>;

/** Label values up to this are accepted (uint16's range), so that the accumulators stay small. */
const MAX_LABEL = 65535;

/** Per label, one row of doubles: count, shift, sum and sum of squares of (value - shift), min, max, index sums, bbox. */
const COUNT = 0;
const SHIFT = 1;
const SUM = 2;
const SUM_SQ = 3;
const MIN = 4;
const MAX = 5;
const INDEX_SUM = 6; // 6, 7, 8: i, j, k
const LOW = 9; // 9, 10, 11
const HIGH = 12; // 12, 13, 14
const ROW = 15;

/** TotalSegmentator rounds every float to 4 decimals. */
function round4(x: number): number {
  return Number(x.toFixed(4));
}

/**
 * Statistics of every structure (label value != 0) in `labels` over the CT on the same grid, in one pass over the
 * voxels with per-label double accumulators. The CT is read as stored and its scaling applied voxel by voxel; the
 * variance is accumulated around each label's first value, so a large common offset costs it no precision.
 */
export function structureStatistics(labels: Volume<VoxelArray>, ct: StoredImage, names: LabelNames): StatisticsReport {
  const mismatch = gridMismatch(ct.volume, labels);
  if (mismatch) throw new RangeError(`statistics: the label map is not on the CT's grid (${mismatch})`);
  const [nx, ny, nz] = labels.shape;
  const lab = labels.data;
  const hu = ct.volume.data;
  const { slope, inter } = ct.scaling ?? { slope: 1, inter: 0 };
  let acc: Float64Array = new Float64Array(256 * ROW);
  for (let k = 0, idx = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, idx++) {
        const l = lab[idx]!; // idx < nx * ny * nz = lab.length = hu.length
        if (l === 0) continue;
        if (!(l > 0 && l <= MAX_LABEL && Number.isInteger(l))) throw new RangeError(`statistics: label value ${l} at voxel (${i}, ${j}, ${k}) is not an integer in 1..${MAX_LABEL}`);
        if (l * ROW >= acc.length) acc = grown(acc, l);
        const v = hu[idx]! * slope + inter;
        const r = l * ROW;
        if (acc[r + COUNT] === 0) {
          acc.set([v, 0, 0, v, v, 0, 0, 0, i, j, k, i, j, k], r + SHIFT);
        }
        const d = v - acc[r + SHIFT]!;
        acc[r + COUNT]!++;
        acc[r + SUM]! += d;
        acc[r + SUM_SQ]! += d * d;
        if (v < acc[r + MIN]!) acc[r + MIN] = v;
        if (v > acc[r + MAX]!) acc[r + MAX] = v;
        acc[r + INDEX_SUM]! += i;
        acc[r + INDEX_SUM + 1]! += j;
        acc[r + INDEX_SUM + 2]! += k;
        if (i < acc[r + LOW]!) acc[r + LOW] = i;
        if (i > acc[r + HIGH]!) acc[r + HIGH] = i;
        if (j < acc[r + LOW + 1]!) acc[r + LOW + 1] = j;
        if (j > acc[r + HIGH + 1]!) acc[r + HIGH + 1] = j;
        acc[r + HIGH + 2] = k; // k never decreases in this order, so the first voxel set its low
      }
    }
  }
  return report(acc, labels, names);
}

/** The accumulator rows grown to hold label `l` (power-of-two rows, so growing is rare). */
function grown(acc: Float64Array, l: number): Float64Array {
  let rows = acc.length / ROW;
  while (rows <= l) rows *= 2;
  const out = new Float64Array(rows * ROW);
  out.set(acc);
  return out;
}

function report(acc: Float64Array, labels: Volume<VoxelArray>, names: LabelNames): StatisticsReport {
  const a = labels.affineRas;
  const voxelVolume = Math.abs(det3(mat3(a)));
  const out: Record<string, StructureStatistics> = {};
  for (let l = 1; l * ROW < acc.length; l++) {
    const r = l * ROW;
    const n = acc[r + COUNT]!;
    if (n === 0) continue;
    const at = (field: number) => acc[r + field]!;
    const mean = at(SUM) / n;
    const index = vec3((c) => at(INDEX_SUM + c) / n);
    const low = vec3((c) => at(LOW + c));
    const high = vec3((c) => at(HIGH + c));
    const name = names[String(l)] ?? `label_${l}`;
    if (name in out) throw new RangeError(`statistics: two label values are named "${name}"`);
    out[name] = {
      label: l,
      voxels: n,
      volume: round4(n * voxelVolume),
      intensity: round4(at(SHIFT) + mean),
      intensity_std: round4(Math.sqrt(Math.max(0, at(SUM_SQ) / n - mean * mean))),
      intensity_min: round4(at(MIN)),
      intensity_max: round4(at(MAX)),
      bbox: [low, high],
      centroid: vec3((w) => round4(a[w][0] * index[0] + a[w][1] * index[1] + a[w][2] * index[2] + a[w][3])),
      incomplete: AXES.some((c) => low[c] === 0 || high[c] === labels.shape[c] - 1),
    };
  }
  return out;
}

/** The report as plain JSON (an answer's `params.statistics`). */
export function statisticsJson(report: StatisticsReport): JsonObject {
  return Object.fromEntries(
    Object.entries(report).map(([name, s]) => [name, { ...s, bbox: [[...s.bbox[0]], [...s.bbox[1]]], centroid: [...s.centroid] }]),
  );
}
