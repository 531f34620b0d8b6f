import type { Vec3, Vec4 } from '../core/volume';
import type { VoxelDType } from './voxelTypes';

/** The NIfTI-1 header fields this project reads and writes (byte layout: nifti1.h). */
export interface Nifti1Header {
  readonly littleEndian: boolean;
  /** dim[0..7]: dim[0] is the number of dimensions. */
  readonly dim: readonly number[];
  readonly datatype: number;
  /** pixdim[0..7]: pixdim[0] is qfac (+1 or -1). */
  readonly pixdim: readonly number[];
  readonly voxOffset: number;
  readonly sclSlope: number;
  readonly sclInter: number;
  readonly xyztUnits: number;
  readonly qformCode: number;
  readonly sformCode: number;
  /** quatern_b, quatern_c, quatern_d. */
  readonly quatern: Vec3;
  readonly qoffset: Vec3;
  /** srow_x, srow_y, srow_z. */
  readonly srow: readonly [Vec4, Vec4, Vec4];
  readonly descrip: string;
}

export const NIFTI1_HEADER_BYTES = 348;
/** Header plus the 4-byte extension flag: where the voxels start in a single-file NIfTI without extensions. */
export const NIFTI1_DATA_OFFSET = 352;

const DATATYPE_CODES: Readonly<Record<VoxelDType, number>> = {
  uint8: 2, int16: 4, int32: 8, float32: 16, float64: 64, int8: 256, uint16: 512, uint32: 768,
};
const DATATYPE_NAMES: Readonly<Record<number, string>> = {
  1: 'binary', 32: 'complex64', 128: 'rgb24', 1024: 'int64', 1280: 'uint64', 1536: 'float128', 1792: 'complex128', 2048: 'complex256', 2304: 'rgba32',
};

export function niftiCodeOf(dtype: VoxelDType): number {
  return DATATYPE_CODES[dtype];
}

/** The voxel type of a datatype code, or an error naming the file and the unsupported type. */
export function dtypeOfNiftiCode(code: number, file: string): VoxelDType {
  for (const [name, c] of Object.entries(DATATYPE_CODES)) if (c === code) return name as VoxelDType;
  const name = DATATYPE_NAMES[code] ?? 'unknown';
  throw new Error(`${file}: unsupported NIfTI datatype ${code} (${name}); supported: ${Object.keys(DATATYPE_CODES).join(', ')}`);
}

function readString(bytes: Uint8Array, offset: number, length: number): string {
  const raw = bytes.subarray(offset, offset + length);
  const end = raw.indexOf(0);
  return Buffer.from(raw.subarray(0, end < 0 ? length : end)).toString('latin1');
}

/** Parses a single-file NIfTI-1 header (either byte order); other formats get an error naming the file. */
export function parseNifti1Header(bytes: Uint8Array, file: string): Nifti1Header {
  if (bytes.length < NIFTI1_HEADER_BYTES) throw new Error(`${file}: too short for a NIfTI header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sizeLe = view.getInt32(0, true);
  const sizeBe = view.getInt32(0, false);
  if (sizeLe === 540 || sizeBe === 540) throw new Error(`${file}: NIfTI-2 files are not supported (convert to NIfTI-1)`);
  if (sizeLe !== NIFTI1_HEADER_BYTES && sizeBe !== NIFTI1_HEADER_BYTES) throw new Error(`${file}: not a NIfTI-1 file (sizeof_hdr is ${sizeLe})`);
  const le = sizeLe === NIFTI1_HEADER_BYTES;
  const magic = readString(bytes, 344, 4);
  if (magic === 'ni1') throw new Error(`${file}: NIfTI .hdr/.img pairs are not supported (use a single .nii or .nii.gz)`);
  if (magic !== 'n+1') throw new Error(`${file}: not a NIfTI-1 file (magic "${magic}")`);
  const i16 = (o: number) => view.getInt16(o, le);
  const f32 = (o: number) => view.getFloat32(o, le);
  const row = (o: number): Vec4 => [f32(o), f32(o + 4), f32(o + 8), f32(o + 12)];
  return {
    littleEndian: le,
    dim: Array.from({ length: 8 }, (_, i) => i16(40 + 2 * i)),
    datatype: i16(70),
    pixdim: Array.from({ length: 8 }, (_, i) => f32(76 + 4 * i)),
    voxOffset: f32(108),
    sclSlope: f32(112),
    sclInter: f32(116),
    xyztUnits: view.getUint8(123),
    qformCode: i16(252),
    sformCode: i16(254),
    quatern: [f32(256), f32(260), f32(264)],
    qoffset: [f32(268), f32(272), f32(276)],
    srow: [row(280), row(296), row(312)],
    descrip: readString(bytes, 148, 80),
  };
}

/** Encodes a little-endian single-file NIfTI-1 header followed by an empty extension flag (352 bytes). */
export function encodeNifti1Header(h: Omit<Nifti1Header, 'littleEndian'>, bitpix: number): Uint8Array {
  const bytes = new Uint8Array(NIFTI1_DATA_OFFSET);
  const view = new DataView(bytes.buffer);
  view.setInt32(0, NIFTI1_HEADER_BYTES, true);
  bytes[38] = 'r'.charCodeAt(0);
  h.dim.forEach((v, i) => view.setInt16(40 + 2 * i, v, true));
  view.setInt16(70, h.datatype, true);
  view.setInt16(72, bitpix, true);
  h.pixdim.forEach((v, i) => view.setFloat32(76 + 4 * i, v, true));
  view.setFloat32(108, h.voxOffset, true);
  view.setFloat32(112, h.sclSlope, true);
  view.setFloat32(116, h.sclInter, true);
  bytes[123] = h.xyztUnits;
  Buffer.from(bytes.buffer).write(h.descrip.slice(0, 79), 148, 'latin1');
  view.setInt16(252, h.qformCode, true);
  view.setInt16(254, h.sformCode, true);
  h.quatern.forEach((v, i) => view.setFloat32(256 + 4 * i, v, true));
  h.qoffset.forEach((v, i) => view.setFloat32(268 + 4 * i, v, true));
  h.srow.forEach((r, ri) => r.forEach((v, i) => view.setFloat32(280 + 16 * ri + 4 * i, v, true)));
  Buffer.from(bytes.buffer).write('n+1\0', 344, 'latin1');
  return bytes;
}
