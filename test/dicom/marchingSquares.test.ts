import { traceContours, type Contour } from '../../src/dicom/marchingSquares';

/** Even-odd rule over all contours at pixel centres: how RTSTRUCT readers combine outer contours and holes. */
function rasterise(contours: readonly Contour[], nx: number, ny: number): Uint8Array {
  const out = new Uint8Array(nx * ny);
  for (let y = 0; y < ny; y++)
    for (let x = 0; x < nx; x++) {
      let inside = false;
      for (const c of contours) {
        for (let a = 0, b = c.length - 2; a < c.length; b = a, a += 2) {
          const [xa, ya, xb, yb] = [c[a], c[a + 1], c[b], c[b + 1]];
          if (ya > y !== yb > y && x < ((xb - xa) * (y - ya)) / (yb - ya) + xa) inside = !inside;
        }
      }
      out[x + nx * y] = inside ? 1 : 0;
    }
  return out;
}

function fromRows(rows: string[]): { mask: Uint8Array; nx: number; ny: number } {
  const nx = rows[0].length;
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

  it('holes wind opposite to outer boundaries and straight runs collapse to their corners', () => {
    const { mask, nx, ny } = fromRows(['#####', '#...#', '#...#', '#...#', '#####']);
    const signedArea = (c: Contour) => c.reduce((acc, _v, a) => (a % 2 ? acc : acc + c[a] * c[(a + 3) % c.length] - c[(a + 2) % c.length] * c[a + 1]), 0) / 2;
    const [outer, hole] = trace(mask, nx, ny).sort((a, b) => Math.abs(signedArea(b)) - Math.abs(signedArea(a)));
    expect(Math.sign(signedArea(outer))).toBe(-Math.sign(signedArea(hole)));
    expect(outer.length / 2).toBe(8); // a 5x5 square with its four corners cut
  });
});
