import * as fs from 'node:fs/promises';
import { makeVolume, voxelCount, type Volume, type VoxelArray } from '../core/volume';
import { gunzipBytes, gunzipPrefix, isGzip } from './gzip';
import { formatOfPath, sniffFormat } from './imageFormat';
import type { Nifti1Header } from './niftiHeader';
import { niftiLayout } from './niftiRead';
import { readNrrd } from './nrrdRead';
import { checkTrailingBytes, DEFAULT_READ_LIMITS, TRAILING_BYTES_ALLOWED, type ReadLimits } from './readLimits';
import { voxelsFromBytes } from './voxelTypes';

/** value = stored x slope + inter. */
export interface LinearScaling {
  readonly slope: number;
  readonly inter: number;
}

/**
 * An image's voxels in the type the file stores them, with the map to their values kept apart: a single pass can
 * apply it voxel by voxel instead of holding a full-size float copy (an int16 CT is half the bytes of its float32).
 */
export interface StoredImage {
  readonly volume: Volume<VoxelArray>;
  /** Absent when the stored values are the values (no NIfTI scl_slope / scl_inter; NRRD has no scaling). */
  readonly scaling?: LinearScaling;
}

/** Reads a .nii, .nii.gz or .nrrd image as stored, within the same limits and checks as `readImage`. */
export async function readStoredImage(file: string, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<StoredImage> {
  const { format } = formatOfPath(file) ?? (await sniffFormat(file));
  if (format === 'nrrd') return { volume: (await readNrrd(file, 'stored', limits)).volume };
  const raw = await fs.readFile(file);
  const gzip = isGzip(raw);
  const layout = niftiLayout(gzip ? gunzipPrefix(raw, file, true) : raw, file, limits);
  const bytes = gzip ? await gunzipBytes(raw, file, layout.needed + TRAILING_BYTES_ALLOWED) : raw;
  if (!gzip) checkTrailingBytes(file, raw.length, layout.needed);
  if (bytes.length < layout.needed) throw new Error(`${file}: truncated NIfTI: ${layout.shape.join('x')} ${layout.dtype} voxels need ${layout.needed} bytes, the file has ${bytes.length}`);
  const stored = voxelsFromBytes(bytes, layout.offset, voxelCount(layout.shape), layout.dtype, layout.header.littleEndian);
  const scaling = niftiScaling(layout.header, file);
  return { volume: makeVolume(stored, layout.shape, layout.affineRas), ...(scaling && { scaling }) };
}

/** nibabel's rule, as `readNifti` applies it: a zero or non-finite slope means unscaled. */
function niftiScaling(h: Nifti1Header, file: string): LinearScaling | null {
  const { sclSlope: slope, sclInter: inter } = h;
  if (slope === 0 || !Number.isFinite(slope)) return null;
  if (!Number.isFinite(inter)) throw new Error(`${file}: scl_slope is ${slope} but scl_inter is ${inter}`);
  return slope === 1 && inter === 0 ? null : { slope, inter };
}
