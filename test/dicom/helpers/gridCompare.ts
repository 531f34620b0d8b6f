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
  const f = [0, 0, 0];
  const n = [0, 0, 0];
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        for (let r = 0; r < 3; r++) {
          f[r] = m[r][0] * i + m[r][1] * j + m[r][2] * k + m[r][3];
          n[r] = round(f[r]);
          if (abs(f[r] - n[r]) > tol) throw new Error(`grids do not coincide: dst voxel [${i},${j},${k}] falls at src [${f.map((v) => v.toFixed(3))}]`);
        }
        if (n[0] < 0 || n[1] < 0 || n[2] < 0 || n[0] >= sx || n[1] >= sy || n[2] >= sz) continue;
        out[i + nx * (j + ny * k)] = src.data[n[0] + sx * (n[1] + sy * n[2])];
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
    if (m) fields.set(m[1].trim(), m[2].trim());
  }
  if (fields.get('dimension') !== '3' || !/^(unsigned char|uchar|uint8)$/.test(fields.get('type') ?? '')) throw new Error(`${file}: expected a 3D unsigned char NRRD`);
  if (fields.get('space') !== 'left-posterior-superior') throw new Error(`${file}: expected LPS space, got ${fields.get('space')}`);
  const shape = fields.get('sizes')!.split(/\s+/).map(Number) as unknown as Vec3;
  const dirs = [...fields.get('space directions')!.matchAll(/\(([^)]*)\)/g)].map((m) => m[1].split(',').map(Number));
  const origin = /\(([^)]*)\)/.exec(fields.get('space origin')!)![1].split(',').map(Number);
  const raw = buf.subarray(end + 2);
  const data = fields.get('encoding') === 'gzip' ? zlib.gunzipSync(raw) : raw;
  const affineLps: Mat4 = [
    [dirs[0][0], dirs[1][0], dirs[2][0], origin[0]],
    [dirs[0][1], dirs[1][1], dirs[2][1], origin[1]],
    [dirs[0][2], dirs[1][2], dirs[2][2], origin[2]],
    [0, 0, 0, 1],
  ];
  return { data: new Uint8Array(data.buffer, data.byteOffset, shape[0] * shape[1] * shape[2]), shape, affineLps };
}
