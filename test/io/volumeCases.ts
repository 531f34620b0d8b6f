import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { allocVoxels, type VoxelDType } from '../../src/io/voxelTypes';
import { makeVolume, type Mat4, type Vec3, type Volume, type VoxelArray } from '../../src/core/volume';

/** float32-representable numbers, so that NIfTI's float32 sform stores them exactly. */
const f = Math.fround;

/** Named voxel -> RAS affines: axis-aligned, flipped (LPS as DICOM gives), permuted, and oblique. */
export const AFFINE_OF: Readonly<Record<'identity' | 'LPS CT' | 'permuted PSR' | 'oblique', Mat4>> = {
  identity: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]],
  'LPS CT': [[f(-0.7421875), 0, 0, f(189.62891)], [0, f(-0.7421875), 0, f(210.12891)], [0, 0, 2.5, f(-1023.25)], [0, 0, 0, 1]],
  'permuted PSR': [[0, 0, f(1.25), -80], [f(-0.9), 0, 0, 96], [0, f(-1.1), 0, 40], [0, 0, 0, 1]],
  oblique: [[f(0.9659258), f(-0.0669873), f(0.25), f(-12.5)], [f(0.2588190), f(0.25), f(-0.9330127)*2, f(33.3)], [0, f(0.9659258), f(0.5)*2, f(-7.75)], [0, 0, 0, 1]],
};
export const AFFINES: ReadonlyArray<[string, Mat4]> = Object.entries(AFFINE_OF);

/** Deterministic pseudo-random voxels spanning the type's range (LCG, so tests need no seed library). */
export function patternVolume(dtype: VoxelDType, shape: Vec3, affine: Mat4): Volume<VoxelArray> {
  const n = shape[0] * shape[1] * shape[2];
  const data = allocVoxels(dtype, n);
  let state = 12345;
  const range: Record<VoxelDType, [number, number]> = {
    int8: [-128, 127], uint8: [0, 255], int16: [-32768, 32767], uint16: [0, 65535], int32: [-2147483648, 2147483647],
    uint32: [0, 4294967295], float32: [-3000, 3000], float64: [-1e6, 1e6],
  };
  const [lo, hi] = range[dtype];
  for (let i = 0; i < n; i++) {
    state = (state * 1103515245 + 12345) % 2147483648;
    const u = state / 2147483648;
    const v = lo + u * (hi - lo);
    data[i] = dtype.startsWith('float') ? v : Math.floor(v);
  }
  return makeVolume(data, shape, affine);
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-io-'));
}

/** Bitwise equality of two typed arrays of the same kind. */
export function sameVoxels(a: VoxelArray, b: VoxelArray): boolean {
  if (a.constructor !== b.constructor || a.length !== b.length) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return Buffer.compare(x, y) === 0;
}
