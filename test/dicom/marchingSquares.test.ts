import { traceContours, type Contour } from '../../src/dicom/marchingSquares';
import { mergeHolesByKeyhole, signedArea } from '../../src/dicom/keyholeContours';
import { labelContours } from '../../src/dicom/labelContours';
import { craniumCt, thresholdLabels } from '../helpers/testSeries';
import { defined } from '../helpers/defined';
import { describeWithOracle, ORACLE_DIR } from '../helpers/oracle';

/** Coordinate `i` of a contour (flat x, y pairs), for indices the loops keep inside it. */
const coord = (c: Contour, i: number): number => c[i]!;

/** Crossings of the scanline through pixel centres of row y with the polygons (half-open edge rule), sorted. */
function rowCrossings(contours: readonly Contour[], y: number): number[] {
  const xs: number[] = [];
  for (const c of contours) {
    for (let a = 0, b = c.length - 2; a < c.length; b = a, a += 2) {
      const [xa, ya, xb, yb] = [coord(c, a), coord(c, a + 1), coord(c, b), coord(c, b + 1)];
      if (ya > y !== yb > y) xs.push(((xb - xa) * (y - ya)) / (yb - ya) + xa);
    }
  }
  return xs.sort((p, q) => p - q);
}

/** Pixel centres inside `contours` by the even-odd rule; `into` (default a new image) gets them OR-ed in. */
function rasterise(contours: readonly Contour[], nx: number, ny: number, into = new Uint8Array(nx * ny)): Uint8Array {
  let [top, bottom] = [Infinity, -Infinity];
  for (const c of contours) for (let i = 1; i < c.length; i += 2) [top, bottom] = [Math.min(top, coord(c, i)), Math.max(bottom, coord(c, i))];
  for (let y = Math.max(0, Math.ceil(top)); y <= Math.min(ny - 1, bottom); y++) {
    const xs = rowCrossings(contours, y);
    for (let n = 0; n + 1 < xs.length; n += 2) for (let x = Math.max(0, Math.ceil(xs[n]!)); x < xs[n + 1]! && x < nx; x++) into[x + nx * y] = 1;
  }
  return into;
}

/** Each polygon filled on its own, then OR-ed: how plastimatch's default and some planning systems read them. */
function rasteriseUnion(contours: readonly Contour[], nx: number, ny: number): Uint8Array {
  const out = new Uint8Array(nx * ny);
  for (const c of contours) rasterise([c], nx, ny, out);
  return out;
}

function fromRows(rows: string[]): { mask: Uint8Array; nx: number; ny: number } {
  const nx = rows[0]?.length ?? 0;
  return { mask: Uint8Array.from(rows.join('').split(''), (c) => (c === '#' ? 1 : 0)), nx, ny: rows.length };
}

function randomMask(seed: number, nx: number, ny: number, fill: number): Uint8Array {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  return Uint8Array.from({ length: nx * ny }, () => (rnd() < fill ? 1 : 0));
}

function trace(mask: Uint8Array, nx: number, ny: number): Contour[] {
  return traceContours({ mask: (x, y) => mask[x + nx * y] === 1, x0: 0, y0: 0, x1: nx - 1, y1: ny - 1 });
}

const SHAPES: [string, string[], number][] = [
  ['single pixel', ['#'], 1],
  ['ring with a hole', ['#####', '#...#', '#.#.#', '#...#', '#####'], 3],
  ['saddle (diagonal contact stays two contours)', ['#.', '.#'], 2],
  ['touching every border', ['###', '#.#', '###'], 2],
  ['L shape', ['#..', '#..', '###'], 1],
  // The hole reaches up through a diagonal contact and holds a one-pixel island: its channel must not end on the island.
  ['hole rising through a diagonal contact, island inside', ['#########', '##.######', '#..######', '#.#.#####', '#..#....#', '##...#..#', '#########'], 4],
];

describe('traceContours (marching squares)', () => {
  it.each(SHAPES)('%s: even-odd rasterisation gives the mask back, with the expected contour count', (_name, rows, count) => {
    const { mask, nx, ny } = fromRows(rows);
    const contours = trace(mask, nx, ny);
    expect(contours).toHaveLength(count);
    expect(Array.from(rasterise(contours, nx, ny))).toEqual(Array.from(mask));
  });

  it.each([
    [1, 0.3],
    [2, 0.5],
    [3, 0.7],
  ])('random 23x17 mask (seed %i, fill %f) round-trips exactly', (seed, fill) => {
    const mask = randomMask(seed, 23, 17, fill);
    expect(Array.from(rasterise(trace(mask, 23, 17), 23, 17))).toEqual(Array.from(mask));
  });

  it.each([
    ...SHAPES.map(([name, rows]) => [name, fromRows(rows), name.includes('hole') ? 1 : 0] as const),
    ...Array.from({ length: 24 }, (_, n) => [`random seed ${n + 4}`, { mask: randomMask(n + 4, 31, 23, 0.55 + 0.01 * n), nx: 31, ny: 23 }, 3] as const),
  ])('keyhole merge (%s): one polygon per outer boundary, exact under both even-odd and OR filling', (_name, { mask, nx, ny }, minHoles) => {
    const contours = trace(mask, nx, ny);
    expect(contours.filter((c) => signedArea(c) > 0).length).toBeGreaterThanOrEqual(minHoles);
    const merged = mergeHolesByKeyhole(contours);
    expect(merged).toHaveLength(contours.filter((c) => signedArea(c) < 0).length);
    expect(Array.from(rasterise(merged, nx, ny))).toEqual(Array.from(mask));
    expect(Array.from(rasteriseUnion(merged, nx, ny))).toEqual(Array.from(mask));
  });

  it('holes wind opposite to outer boundaries and straight runs collapse to their corners', () => {
    const { mask, nx, ny } = fromRows(['#####', '#...#', '#...#', '#...#', '#####']);
    const signedArea = (c: Contour) => c.reduce((acc, _v, a) => (a % 2 ? acc : acc + coord(c, a) * coord(c, (a + 3) % c.length) - coord(c, (a + 2) % c.length) * coord(c, a + 1)), 0) / 2;
    const contours = trace(mask, nx, ny).sort((a, b) => Math.abs(signedArea(b)) - Math.abs(signedArea(a)));
    expect(contours).toHaveLength(2);
    const [outer, hole] = [defined(contours[0], 'the outer boundary'), defined(contours[1], 'the hole')];
    expect(Math.sign(signedArea(outer))).toBe(-Math.sign(signedArea(hole)));
    expect(outer.length / 2).toBe(8); // a 5x5 square with its four corners cut
  });
});

describeWithOracle('keyhole merge on every slice of the thresholded oracle cranium', () => {
  it('OR filling of the merged polygons gives every slice of both labels back exactly', async () => {
    const ct = await craniumCt(ORACLE_DIR);
    const labels = thresholdLabels(ct);
    const [nx, ny] = labels.shape;
    let slices = 0;
    for (const [label, perSlice] of labelContours(labels)) {
      for (const { k, contours } of perSlice) {
        const mask = labels.data.subarray(k * nx * ny, (k + 1) * nx * ny).map((v) => (v === label ? 1 : 0));
        const filled = rasteriseUnion(mergeHolesByKeyhole(contours), nx, ny);
        expect({ label, k, same: Buffer.from(filled).equals(Buffer.from(mask)) }).toEqual({ label, k, same: true });
        slices++;
      }
    }
    expect(slices).toBeGreaterThan(150);
  });
});
