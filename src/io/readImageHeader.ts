import * as fs from 'node:fs/promises';
import type { Mat4, Vec3 } from '../core/volume';
import { gunzipPrefix, isGzip } from './gzip';
import { formatOfPath, sniffFormat } from './imageFormat';
import type { ImageFormat } from './loadedImage';
import { niftiLayout } from './niftiRead';
import { affineRasOfNrrd } from './nrrdRead';
import { parseNrrdHeader } from './nrrdHeader';
import { checkDeclaredSize, DEFAULT_READ_LIMITS, type ReadLimits } from './readLimits';
import { bytesPerVoxel } from './voxelTypes';

/** A volume's grid as its header declares it: enough to plan (and refuse) work without reading any voxel. */
export interface ImageHeader {
  readonly format: ImageFormat;
  readonly shape: Vec3;
  readonly affineRas: Mat4;
}

/** NRRD headers are text up to a blank line; nothing legitimate comes near this. */
const NRRD_HEADER_MAX = 1 << 20;
const NIFTI_PREFIX = 4096;

async function readPrefix(file: string, length: number): Promise<Buffer> {
  const fh = await fs.open(file, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await fh.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Reads only the header of a .nii / .nii.gz / .nrrd file (a few KB), applying the same checks and limits as a full read. */
export async function readImageHeader(file: string, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<ImageHeader> {
  const { format } = formatOfPath(file) ?? (await sniffFormat(file));
  if (format === 'nifti') {
    const prefix = await readPrefix(file, NIFTI_PREFIX);
    const { shape, affineRas } = niftiLayout(isGzip(prefix) ? gunzipPrefix(prefix, file, prefix.length < NIFTI_PREFIX, NIFTI_PREFIX) : prefix, file, limits);
    return { format, shape, affineRas };
  }
  const h = parseNrrdHeader(await readPrefix(file, NRRD_HEADER_MAX), file);
  const size = h.sizes[0] * h.sizes[1] * h.sizes[2] * bytesPerVoxel(h.type);
  checkDeclaredSize(file, h.sizes, size, Math.max(h.byteSkip, 0) + size, limits);
  return { format, shape: h.sizes, affineRas: affineRasOfNrrd(h) };
}
