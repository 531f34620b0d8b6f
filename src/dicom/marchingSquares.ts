/**
 * Closed iso-contours (level 0.5) of a binary 2D mask sampled at pixel centres, by marching squares.
 *
 * Coordinates are pixel indices (x = column i, y = row j); contour vertices lie halfway between a pixel inside and its
 * 4-neighbour outside, so every inside pixel centre is strictly inside the polygon set and every outside centre strictly
 * outside: rasterising the contours back with an even-odd (XOR) rule reproduces the mask exactly. The area outside the
 * mask counts as empty, so every contour closes. Holes come out as their own contours, wound opposite to outer
 * boundaries. Diagonal-only contact (saddle cells) keeps the two pixels in separate contours (4-connectivity).
 */

import type { Axis4, Tuple4 } from '../core/volume';

/** One closed contour: x0, y0, x1, y1, ... (the closing edge back to the first point is implied). */
export type Contour = number[];

/** Corner offsets of a cell in clockwise order (y down): top-left, top-right, bottom-right, bottom-left. */
const CORNERS: Tuple4<readonly [number, number]> = [[0, 0], [1, 0], [1, 1], [0, 1]];
/** The cell's sides, clockwise: from corner c to corner n. */
const CELL_SIDES: readonly (readonly [Axis4, Axis4])[] = [[0, 1], [1, 2], [2, 3], [3, 0]];

export interface MaskWindow {
  readonly mask: (x: number, y: number) => boolean;
  /** Inclusive pixel bounds that contain every inside pixel. */
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

export function traceContours(win: MaskWindow): Contour[] {
  const { mask, x0, y0, x1, y1 } = win;
  const inside = (x: number, y: number) => x >= x0 && x <= x1 && y >= y0 && y <= y1 && mask(x, y);
  // Vertices in doubled integer coordinates (exact), keyed in a map from segment start to segment end.
  const width = 2 * (x1 - x0 + 3) + 1;
  const key = (X: number, Y: number) => X - 2 * (x0 - 1) + width * (Y - 2 * (y0 - 1));
  const next = new Map<number, [number, number, number]>(); // start key -> [end key, end X, end Y]
  const startXY = new Map<number, [number, number]>();
  for (let y = y0 - 1; y <= y1; y++) {
    for (let x = x0 - 1; x <= x1; x++) {
      const tl = inside(x, y);
      const tr = inside(x + 1, y);
      const br = inside(x + 1, y + 1);
      const bl = inside(x, y + 1);
      if (tl === tr && tr === br && br === bl) continue; // no boundary in this cell (most cells)
      const state: Tuple4<boolean> = [tl, tr, br, bl];
      // Crossings along the cell boundary, clockwise; "in" = entering the inside region.
      const crossings: { entering: boolean; X: number; Y: number }[] = [];
      for (const [c, n] of CELL_SIDES) {
        if (state[c] === state[n]) continue;
        crossings.push({ entering: state[n], X: 2 * x + CORNERS[c][0] + CORNERS[n][0], Y: 2 * y + CORNERS[c][1] + CORNERS[n][1] });
      }
      // Each entering crossing joins the next leaving one clockwise: the segment encloses the inside corners between them.
      crossings.forEach((a, idx) => {
        if (!a.entering) return;
        const b = crossings[(idx + 1) % crossings.length]!; // the index wraps round inside the list
        const ka = key(a.X, a.Y);
        next.set(ka, [key(b.X, b.Y), b.X, b.Y]);
        startXY.set(ka, [a.X, a.Y]);
      });
    }
  }
  const contours: Contour[] = [];
  for (const [start, [sx, sy]] of startXY) {
    if (!next.has(start)) continue;
    const ring: [number, number][] = [[sx, sy]];
    let k = start;
    for (;;) {
      const step = next.get(k)!;
      next.delete(k);
      if (step[0] === start) break;
      ring.push([step[1], step[2]]);
      k = step[0];
    }
    contours.push(dropCollinear(ring).flatMap(([X, Y]) => [X / 2, Y / 2]));
  }
  return contours;
}

/** Removes vertices that lie on the straight line through their neighbours (exact in doubled coordinates). */
function dropCollinear(ring: readonly [number, number][]): [number, number][] {
  const n = ring.length;
  return ring.filter((p, i) => {
    // Both indices wrap round inside the ring (i < n).
    const a = ring[(i + n - 1) % n]!;
    const b = ring[(i + 1) % n]!;
    return (p[0] - a[0]) * (b[1] - p[1]) - (p[1] - a[1]) * (b[0] - p[0]) !== 0;
  });
}
