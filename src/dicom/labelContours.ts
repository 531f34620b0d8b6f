import type { LabelVolume } from '../core/volume';
import { traceContours, type Contour } from './marchingSquares';

/** Closed contours of one label on one slice, in pixel coordinates (x = i, y = j). */
export interface SliceContours {
  readonly k: number;
  readonly contours: Contour[];
}

/** Per label, per slice, the tight pixel bounds of that label (one pass over the volume). */
function boundsPerLabelSlice(labels: LabelVolume): Map<number, Map<number, [number, number, number, number]>> {
  const [nx, ny, nz] = labels.shape;
  const out = new Map<number, Map<number, [number, number, number, number]>>();
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      const rowStart = nx * (j + ny * k);
      // rowStart + i < nx * ny * nz, the volume's length.
      for (let i = 0; i < nx; i++) {
        const v = labels.data[rowStart + i]!;
        if (v === 0) continue;
        const perSlice = out.get(v) ?? out.set(v, new Map()).get(v)!;
        const b = perSlice.get(k);
        if (!b) perSlice.set(k, [i, j, i, j]);
        else {
          if (i < b[0]) b[0] = i;
          if (i > b[2]) b[2] = i;
          if (j > b[3]) b[3] = j;
        }
      }
    }
  }
  return out;
}

/** Marching-squares contours of every non-zero label, slice by slice, labels ascending. */
export function labelContours(labels: LabelVolume): Map<number, SliceContours[]> {
  const [nx, ny] = labels.shape;
  const result = new Map<number, SliceContours[]>();
  const bounds = boundsPerLabelSlice(labels);
  for (const [label, perSlice] of [...bounds].sort(([a], [b]) => a - b)) {
    const slices: SliceContours[] = [];
    for (const [k, [x0, y0, x1, y1]] of perSlice) {
      const base = nx * ny * k;
      const contours = traceContours({ mask: (x, y) => labels.data[base + x + nx * y] === label, x0, y0, x1, y1 });
      slices.push({ k, contours });
    }
    result.set(label, slices);
  }
  return result;
}
