import * as fs from 'node:fs/promises';
import { makeVolume, mapVec4, voxelCount, type Axis, type Mat4, type Vec3, type Vec4, type VoxelArray } from '../core/volume';
import { gunzipBytes } from './gzip';
import type { LoadedImage, VoxelMode } from './loadedImage';
import { parseNrrdHeader, type NrrdHeader, type NrrdSpace } from './nrrdHeader';
import { checkDeclaredSize, checkTrailingBytes, DEFAULT_READ_LIMITS, TRAILING_BYTES_ALLOWED, type ReadLimits } from './readLimits';
import { bytesPerVoxel, voxelsFromBytes } from './voxelTypes';

/** Reads a 3D NRRD with attached raw or gzip data, within `limits`; the affine is converted to RAS whatever the file's space. */
export async function readNrrd(file: string, mode: VoxelMode = 'float32', limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<LoadedImage<VoxelArray>> {
  const bytes = await fs.readFile(file);
  const h = parseNrrdHeader(bytes, file);
  const n = voxelCount(h.sizes);
  const size = n * bytesPerVoxel(h.type);
  const skip = Math.max(h.byteSkip, 0);
  checkDeclaredSize(file, h.sizes, size, skip + size, limits);
  const payload = h.gzip ? await gunzipBytes(bytes.subarray(h.dataStart), file, skip + size + TRAILING_BYTES_ALLOWED) : bytes.subarray(h.dataStart);
  const start = h.byteSkip === -1 ? payload.length - size : h.byteSkip;
  if (start < 0 || payload.length < start + size) {
    throw new Error(`${file}: truncated NRRD: ${h.sizes.join('x')} ${h.type} voxels need ${size} bytes of data, found ${Math.max(0, payload.length - Math.max(start, 0))}`);
  }
  if (h.byteSkip !== -1) checkTrailingBytes(file, payload.length, start + size);
  const stored = voxelsFromBytes(payload, start, n, h.type, h.littleEndian);
  const data = mode === 'float32' && !(stored instanceof Float32Array) ? Float32Array.from(stored) : stored;
  return { volume: makeVolume(data, h.sizes, affineRasOfNrrd(h)), info: { path: file, format: 'nrrd', storedDType: h.type } };
}

/** Per space: the signs that turn its world axes into RAS. */
const NEGATE_INTO_RAS: Readonly<Record<NrrdSpace, Vec3>> = { RAS: [1, 1, 1], LAS: [-1, 1, 1], LPS: [-1, -1, 1] };

/** Columns are the space directions, the last column the origin; LPS/LAS rows are negated into RAS. */
export function affineRasOfNrrd(h: Pick<NrrdHeader, 'space' | 'directions' | 'origin'>): Mat4 {
  const negate = NEGATE_INTO_RAS[h.space];
  const row = (r: Axis): Vec4 => mapVec4([h.directions[0][r], h.directions[1][r], h.directions[2][r], h.origin[r]], (v) => (v === 0 ? 0 : v * negate[r]));
  return [row(0), row(1), row(2), [0, 0, 0, 1]];
}
