import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { invertAffine, mulMat4, type Mat4, type Vec3 } from '../../../src/core/volume';

// Hot loops use module-level aliases: global lookups (Math.*) are slow inside jest's vm context.
const { round, abs } = Math;

/** A voxel grid in LPS: what independent tools (plastimatch NRRD, pydicom) hand back. */
export interface LpsImage<T extends ArrayLike<number>> {
  readonly data: T;
  readonly shape: Vec3;
  readonly affineLps: Mat4;
}

/**
 * Resamples `src` onto `dst`'s grid by nearest index, after checking the two grids coincide (every dst voxel centre
 * within `tol` voxels of a src voxel centre): alignment is asserted, never interpolated away. Outside src: 0.
 */
export function sampleOnGrid(src: LpsImage<ArrayLike<number>>, dst: { shape: Vec3; affineLps: Mat4 }, tol = 0.1): Float64Array {
  const m = mulMat4(invertAffine(src.affineLps), dst.affineLps);
  const [nx, ny, nz] = dst.shape;
  const [sx, sy, sz] = src.shape;
  const out = new Float64Array(nx * ny * nz);
  const [m0, m1, m2] = m;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const f0 = m0[0] * i + m0[1] * j + m0[2] * k + m0[3];
        const f1 = m1[0] * i + m1[1] * j + m1[2] * k + m1[3];
        const f2 = m2[0] * i + m2[1] * j + m2[2] * k + m2[3];
        const n0 = round(f0);
        const n1 = round(f1);
        const n2 = round(f2);
        if (abs(f0 - n0) > tol || abs(f1 - n1) > tol || abs(f2 - n2) > tol) throw new Error(`grids do not coincide: dst voxel [${i},${j},${k}] falls at src [${[f0, f1, f2].map((v) => v.toFixed(3)).join(',')}]`);
        if (n0 < 0 || n1 < 0 || n2 < 0 || n0 >= sx || n1 >= sy || n2 >= sz) continue;
        out[i + nx * (j + ny * k)] = src.data[n0 + sx * (n1 + sy * n2)]!; // inside src's shape (checked above)
      }
  return out;
}

/** Dice of (a == label) and (b == label). */
export function dice(a: ArrayLike<number>, aLabel: number, b: ArrayLike<number>, bLabel: number): number {
  let inter = 0;
  let na = 0;
  let nb = 0;
  for (let p = 0; p < a.length; p++) {
    const x = a[p] === aLabel;
    const y = b[p] === bLabel;
    if (x) na++;
    if (y) nb++;
    if (x && y) inter++;
  }
  return na + nb === 0 ? 1 : (2 * inter) / (na + nb);
}

/** Reads a 3D unsigned-char NRRD in LPS space (what `plastimatch convert --prefix-format nrrd` writes). */
export function readNrrdMask(file: string): LpsImage<Uint8Array> {
  const buf = fs.readFileSync(file);
  const end = buf.indexOf('\n\n');
  if (end < 0) throw new Error(`${file}: no NRRD header end`);
  const fields = new Map<string, string>();
  for (const line of buf.subarray(0, end).toString('latin1').split('\n')) {
    const m = /^([^:#]+):\s*(.*)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) fields.set(m[1].trim(), m[2].trim());
  }
  if (fields.get('dimension') !== '3' || !/^(unsigned char|uchar|uint8)$/.test(fields.get('type') ?? '')) throw new Error(`${file}: expected a 3D unsigned char NRRD`);
  if (fields.get('space') !== 'left-posterior-superior') throw new Error(`${file}: expected LPS space, got ${fields.get('space')}`);
  const field = (name: string): string => {
    const value = fields.get(name);
    if (value === undefined) throw new Error(`${file}: no NRRD field "${name}"`);
    return value;
  };
  /** Three numbers, from "a b c" or "(a,b,c)". */
  const vec3 = (text: string, what: string): Vec3 => {
    const v = text.split(/[\s,]+/).filter(Boolean).map(Number);
    const [a, b, c] = v;
    if (v.length !== 3 || a === undefined || b === undefined || c === undefined || v.some(Number.isNaN)) throw new Error(`${file}: ${what} is not three numbers: ${text}`);
    return [a, b, c];
  };
  const shape = vec3(field('sizes'), 'sizes');
  const [di, dj, dk] = [...field('space directions').matchAll(/\(([^)]*)\)/g)].map((m, n) => vec3(m[1] ?? '', `space direction ${n}`));
  if (di === undefined || dj === undefined || dk === undefined) throw new Error(`${file}: expected three space directions`);
  const origin = vec3(/\(([^)]*)\)/.exec(field('space origin'))?.[1] ?? '', 'space origin');
  const raw = buf.subarray(end + 2);
  const data = fields.get('encoding') === 'gzip' ? zlib.gunzipSync(raw) : raw;
  const affineLps: Mat4 = [
    [di[0], dj[0], dk[0], origin[0]],
    [di[1], dj[1], dk[1], origin[1]],
    [di[2], dj[2], dk[2], origin[2]],
    [0, 0, 0, 1],
  ];
  return { data: new Uint8Array(data.buffer, data.byteOffset, shape[0] * shape[1] * shape[2]), shape, affineLps };
}
