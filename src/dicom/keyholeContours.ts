import type { Contour } from './marchingSquares';

/**
 * Keyhole holes (PS3.3 C.8.8.6.3): each hole contour is joined to the contour around it by a zero-width channel, so
 * one closed polygon carries the outer boundary and its holes. Readers that OR contours together (plastimatch's
 * default, several planning systems) then keep the holes, and even-odd readers see the same region as before.
 *
 * Holes are taken top first; each is bridged straight up (along a half-integer x, between pixel columns, so no pixel
 * centre lies on the channel) from its top boundary to the first boundary above it, which is the contour that
 * encloses it (possibly through a hole already merged into that contour).
 */

/*
 * A contour is a flat list of (x, y) pairs, so it has an even length: the loops below read x at an even index below
 * its length and y right after it, both in range.
 */

/** Shoelace area in pixel coordinates (y down): traceContours winds outer boundaries negative, holes positive. */
export function signedArea(c: Contour): number {
  let a = 0;
  for (let i = 0; i < c.length; i += 2) {
    const j = (i + 2) % c.length;
    a += c[i]! * c[j + 1]! - c[j]! * c[i + 1]!;
  }
  return a / 2;
}

/** Where the vertical line at `x` meets a ring: segment index (from point `seg` to `seg + 1`) and y of each meeting. */
function crossings(ring: Contour, x: number, pick: 'upper' | 'lower'): { seg: number; y: number }[] {
  const n = ring.length / 2;
  const out: { seg: number; y: number }[] = [];
  for (let i = 0; i < n; i++) {
    const [ax, ay, bx, by] = [ring[2 * i]!, ring[2 * i + 1]!, ring[2 * ((i + 1) % n)]!, ring[2 * ((i + 1) % n) + 1]!];
    if (ax === x && bx === x) out.push({ seg: i, y: pick === 'upper' ? Math.min(ay, by) : Math.max(ay, by) });
    else if (ax !== bx && (ax - x) * (bx - x) <= 0) out.push({ seg: i, y: ay + ((by - ay) * (x - ax)) / (bx - ax) });
  }
  return out;
}

/**
 * The channel's start on the hole: the hole's highest boundary point on the half-integer column just right of its
 * topmost-leftmost vertex. Everything straight above that point is outside the hole, so the channel runs through the
 * enclosing region (diagonal pixel contacts included, which a "topmost vertex" rule gets wrong).
 */
function bridgeStart(hole: Contour): { x: number; y: number; seg: number } | undefined {
  let v = 0;
  for (let p = 1; p < hole.length / 2; p++) {
    if (hole[2 * p + 1]! < hole[2 * v + 1]! || (hole[2 * p + 1] === hole[2 * v + 1] && hole[2 * p]! < hole[2 * v]!)) v = p;
  }
  const x = hole[2 * v]! + 0.5;
  const top = crossings(hole, x, 'upper').sort((a, b) => a.y - b.y)[0];
  return top && { x, y: top.y, seg: top.seg };
}

/** The closest crossing straight above (x, y) on any ring: ring index, segment index, crossing y. */
function firstHitAbove(rings: readonly Contour[], x: number, y: number): { ring: number; contour: Contour; seg: number; y: number } | undefined {
  let hit: { ring: number; contour: Contour; seg: number; y: number } | undefined;
  rings.forEach((ring, r) => {
    for (const c of crossings(ring, x, 'lower')) if (c.y < y && (!hit || c.y > hit.y)) hit = { ring: r, contour: ring, ...c };
  });
  return hit;
}

function withoutRepeats(ring: number[]): Contour {
  const out: number[] = [];
  for (let i = 0; i < ring.length; i += 2) {
    const px = out.at(-2) ?? NaN;
    const py = out.at(-1) ?? NaN;
    const x = ring[i]!;
    const y = ring[i + 1]!;
    if (x !== px || y !== py) out.push(x, y);
  }
  while (out.length > 2 && out[0] === out[out.length - 2] && out[1] === out[out.length - 1]) out.length -= 2;
  return out;
}

/** Outer contours with their holes merged in by keyhole channels; a hole with nothing above it stays separate. */
export function mergeHolesByKeyhole(contours: readonly Contour[]): Contour[] {
  const rings = contours.filter((c) => signedArea(c) < 0).map((c) => [...c]);
  const topOf = (c: Contour) => {
    let top = Infinity;
    for (let i = 1; i < c.length; i += 2) if (c[i]! < top) top = c[i]!;
    return top;
  };
  const holes = contours.filter((c) => signedArea(c) > 0).sort((a, b) => topOf(a) - topOf(b));
  const unbridged: Contour[] = [];
  for (const hole of holes) {
    const start = bridgeStart(hole);
    const hit = start && firstHitAbove(rings, start.x, start.y);
    if (!start || !hit) {
      unbridged.push(hole);
      continue;
    }
    const ring = hit.contour;
    const cut = 2 * (hit.seg + 1);
    const after = 2 * (start.seg + 1); // the hole walked from its crossing point round to it again
    const loop = [start.x, start.y, ...hole.slice(after), ...hole.slice(0, after), start.x, start.y];
    rings[hit.ring] = withoutRepeats([...ring.slice(0, cut), start.x, hit.y, ...loop, start.x, hit.y, ...ring.slice(cut)]);
  }
  return [...rings, ...unbridged];
}
