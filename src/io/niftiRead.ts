import * as fs from 'node:fs/promises';
import { makeVolume, voxelCount, type Mat4, type Vec3, type Vec4, type VoxelArray } from '../core/volume';
import { gunzipBytes, gunzipPrefix, isGzip } from './gzip';
import type { LoadedImage, NiftiGeometry, VoxelMode } from './loadedImage';
import { affineOfNiftiHeader } from './niftiAffine';
import { dtypeOfNiftiCode, NIFTI1_DATA_OFFSET, NIFTI1_HEADER_BYTES, parseNifti1Header, type Nifti1Header } from './niftiHeader';
import { checkDeclaredSize, checkTrailingBytes, DEFAULT_READ_LIMITS, TRAILING_BYTES_ALLOWED, type ReadLimits } from './readLimits';
import { bytesPerVoxel, voxelsFromBytes, type VoxelDType } from './voxelTypes';

/** Where a NIfTI-1 file's voxels are and how many bytes they take, from its header alone. */
export interface NiftiLayout {
  readonly header: Nifti1Header;
  readonly shape: Vec3;
  readonly dtype: VoxelDType;
  readonly affineRas: Mat4;
  readonly offset: number;
  /** vox_offset + voxel bytes: the bytes a complete (inflated) file holds. */
  readonly needed: number;
}

export function niftiLayout(headerBytes: Uint8Array, file: string, limits: ReadLimits): NiftiLayout {
  const header = parseNifti1Header(headerBytes, file);
  const shape = spatialShape(header, file);
  const dtype = dtypeOfNiftiCode(header.datatype, file);
  const affineRas = affineOfNiftiHeader(header, file);
  if (!Number.isFinite(header.voxOffset) || header.voxOffset > 2 ** 31) throw new Error(`${file}: invalid NIfTI vox_offset ${header.voxOffset}`);
  const offset = header.voxOffset >= NIFTI1_HEADER_BYTES ? Math.floor(header.voxOffset) : NIFTI1_DATA_OFFSET;
  const dataBytes = voxelCount(shape) * bytesPerVoxel(dtype);
  checkDeclaredSize(file, shape, dataBytes, offset + dataBytes, limits);
  return { header, shape, dtype, affineRas, offset, needed: offset + dataBytes };
}

/** The inflated bytes of a NIfTI file: its header first, so that a bomb or an oversized volume is never inflated. */
export async function niftiBytes(file: string, limits: ReadLimits): Promise<{ bytes: Uint8Array; layout: NiftiLayout }> {
  const raw = await fs.readFile(file);
  if (!isGzip(raw)) {
    const layout = niftiLayout(raw, file, limits);
    checkTrailingBytes(file, raw.length, layout.needed);
    return { bytes: raw, layout };
  }
  const layout = niftiLayout(gunzipPrefix(raw, file, true), file, limits);
  const bytes = await gunzipBytes(raw, file, layout.needed + TRAILING_BYTES_ALLOWED);
  return { bytes, layout };
}

/** Reads a single-file NIfTI-1 volume (.nii or .nii.gz, either byte order), within `limits`. */
export async function readNifti(file: string, mode: VoxelMode = 'float32', limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<LoadedImage<VoxelArray>> {
  const { bytes, layout } = await niftiBytes(file, limits);
  return decodeNifti(bytes, layout, file, mode);
}

/** The voxels as the file stores them (a truncated file is an error). */
export function storedNiftiVoxels(bytes: Uint8Array, layout: NiftiLayout, file: string): VoxelArray {
  const { header: h, shape, dtype, offset, needed } = layout;
  if (bytes.length < needed) {
    throw new Error(`${file}: truncated NIfTI: ${shape.join('x')} ${dtype} voxels need ${needed} bytes, the file has ${bytes.length}`);
  }
  return voxelsFromBytes(bytes, offset, voxelCount(shape), dtype, h.littleEndian);
}

function decodeNifti(bytes: Uint8Array, layout: NiftiLayout, file: string, mode: VoxelMode): LoadedImage<VoxelArray> {
  const { header: h, shape, dtype, affineRas } = layout;
  const stored = storedNiftiVoxels(bytes, layout, file);
  const scaling = niftiScaling(h, file);
  const data = scaling || mode === 'float32' ? toFloat32(stored, scaling) : stored;
  const geometry: NiftiGeometry = {
    affineRas,
    sformCode: h.sformCode,
    qformCode: h.qformCode,
    srow: h.srow,
    quatern: h.quatern,
    qoffset: h.qoffset,
    pixdim: storedPixdim(h),
    xyztUnits: h.xyztUnits,
  };
  return { volume: makeVolume(data, shape, affineRas), info: { path: file, format: 'nifti', storedDType: dtype, niftiGeometry: geometry } };
}

/** pixdim[0..3] (a parsed header always has all eight entries). */
function storedPixdim(h: Nifti1Header): Vec4 {
  const [qfac = 0, dx = 0, dy = 0, dz = 0] = h.pixdim;
  return [qfac, dx, dy, dz];
}

function spatialShape(h: Nifti1Header, file: string): Vec3 {
  // A parsed header always has all eight dims; NaN stands for a missing one (and is refused).
  const [ndim = NaN, nx = NaN, ny = NaN, nz = NaN] = h.dim;
  if (!(ndim >= 1 && ndim <= 7)) throw new Error(`${file}: invalid NIfTI dim[0] = ${ndim}`);
  if (ndim < 3) throw new Error(`${file}: ${ndim}D image (dim[0] = ${ndim}); a 3D volume is required`);
  const shape: Vec3 = [nx, ny, nz];
  if (!shape.every((v) => v >= 1)) throw new Error(`${file}: empty or invalid volume size ${shape.join(' x ')}`);
  for (const [d, n] of h.dim.entries()) {
    if (d >= 4 && d <= ndim && n > 1) throw new Error(`${file}: ${ndim}D image (dim[${d}] = ${n}); only single 3D volumes are supported`);
  }
  return shape;
}

/** nibabel's rule: a zero or non-finite slope means unscaled; a valid slope with a non-finite intercept is an error. */
export function niftiScaling(h: Nifti1Header, file: string): { slope: number; inter: number } | null {
  const { sclSlope: slope, sclInter: inter } = h;
  if (slope === 0 || !Number.isFinite(slope)) return null;
  if (!Number.isFinite(inter)) throw new Error(`${file}: scl_slope is ${slope} but scl_inter is ${inter}`);
  return slope === 1 && inter === 0 ? null : { slope, inter };
}

/** value * slope + inter in float64, then rounded once to float32 (numpy's order of operations). */
function toFloat32(data: VoxelArray, scaling: { slope: number; inter: number } | null): Float32Array {
  if (data instanceof Float32Array && !scaling) return data;
  const out = new Float32Array(data.length);
  if (!scaling) {
    out.set(data);
    return out;
  }
  const { slope, inter } = scaling;
  // nibabel skips a unit slope or a zero intercept; skipping keeps the sign of zero identical too. (Each loop runs i
  // over data's indices.)
  if (inter === 0) for (let i = 0; i < data.length; i++) out[i] = data[i]! * slope;
  else if (slope === 1) for (let i = 0; i < data.length; i++) out[i] = data[i]! + inter;
  else for (let i = 0; i < data.length; i++) out[i] = data[i]! * slope + inter;
  return out;
}
