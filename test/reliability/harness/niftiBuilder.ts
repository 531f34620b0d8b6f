/**
 * NIfTI-1 files byte by byte (nifti1.h layout), in either byte order, with any value in any header field: the
 * project's writer only makes valid files, and hostile cases need every field wrong in turn.
 */
export interface NiftiFields {
  readonly littleEndian: boolean;
  readonly sizeofHdr: number;
  /** dim[0..7]. */
  readonly dim: readonly number[];
  readonly datatype: number;
  readonly bitpix: number;
  /** pixdim[0..7]; pixdim[0] is qfac. */
  readonly pixdim: readonly number[];
  readonly voxOffset: number;
  readonly sclSlope: number;
  readonly sclInter: number;
  readonly xyztUnits: number;
  readonly qformCode: number;
  readonly sformCode: number;
  readonly quatern: readonly [number, number, number];
  readonly qoffset: readonly [number, number, number];
  readonly srow: readonly [readonly number[], readonly number[], readonly number[]];
  /** Four bytes at 344 ("n+1\0" for a single file). */
  readonly magic: string;
}

export const NIFTI_DATA_OFFSET = 352;

/** The 348-byte header plus the 4-byte extension flag (zero: no extensions). */
export function niftiHeader(f: NiftiFields): Buffer {
  const b = Buffer.alloc(NIFTI_DATA_OFFSET);
  const le = f.littleEndian;
  const i32 = (v: number, o: number) => (le ? b.writeInt32LE(v, o) : b.writeInt32BE(v, o));
  const i16 = (v: number, o: number) => (le ? b.writeInt16LE(v, o) : b.writeInt16BE(v, o));
  const f32 = (v: number, o: number) => (le ? b.writeFloatLE(v, o) : b.writeFloatBE(v, o));
  i32(f.sizeofHdr, 0);
  b[38] = 'r'.charCodeAt(0);
  f.dim.forEach((v, i) => i16(v, 40 + 2 * i));
  i16(f.datatype, 70);
  i16(f.bitpix, 72);
  f.pixdim.forEach((v, i) => f32(v, 76 + 4 * i));
  f32(f.voxOffset, 108);
  f32(f.sclSlope, 112);
  f32(f.sclInter, 116);
  b[123] = f.xyztUnits;
  b.write('wbct hostile case', 148, 'latin1');
  i16(f.qformCode, 252);
  i16(f.sformCode, 254);
  f.quatern.forEach((v, i) => f32(v, 256 + 4 * i));
  f.qoffset.forEach((v, i) => f32(v, 268 + 4 * i));
  f.srow.forEach((r, ri) => r.forEach((v, i) => f32(v, 280 + 16 * ri + 4 * i)));
  b.write(f.magic.padEnd(4, '\0').slice(0, 4), 344, 'latin1');
  return b;
}

/** int16 voxels i*37 + j*11 + k*5 patterned (CT-like range), in the given byte order. */
export function int16Voxels(count: number, littleEndian: boolean): Buffer {
  const b = Buffer.alloc(2 * count);
  for (let p = 0; p < count; p++) {
    const v = ((p * 37) % 400) - 100;
    if (littleEndian) b.writeInt16LE(v, 2 * p);
    else b.writeInt16BE(v, 2 * p);
  }
  return b;
}

/** Header, zero padding up to `dataAt`, then `data`. */
export function niftiFile(fields: NiftiFields, data: Buffer, dataAt = NIFTI_DATA_OFFSET): Buffer {
  const header = niftiHeader(fields);
  return Buffer.concat([header, Buffer.alloc(Math.max(0, dataAt - header.length)), data]);
}

/**
 * A NIfTI-2 header (540 bytes, 64-bit dims and offsets, magic "n+2\0\r\n\x1a\n") for a 3D int16 volume, followed
 * by its voxels: a real NIfTI-2 file, not a NIfTI-1 one with a wrong size.
 */
export function nifti2File(shape: readonly [number, number, number], littleEndian: boolean): Buffer {
  const b = Buffer.alloc(544);
  const le = littleEndian;
  const i32 = (v: number, o: number) => (le ? b.writeInt32LE(v, o) : b.writeInt32BE(v, o));
  const i16 = (v: number, o: number) => (le ? b.writeInt16LE(v, o) : b.writeInt16BE(v, o));
  const i64 = (v: number, o: number) => (le ? b.writeBigInt64LE(BigInt(v), o) : b.writeBigInt64BE(BigInt(v), o));
  const f64 = (v: number, o: number) => (le ? b.writeDoubleLE(v, o) : b.writeDoubleBE(v, o));
  i32(540, 0);
  b.write('n+2\0\r\n\x1a\n', 4, 'latin1');
  i16(4, 12);
  i16(16, 14);
  [3, shape[0], shape[1], shape[2], 1, 1, 1, 1].forEach((v, i) => i64(v, 16 + 8 * i));
  [1, 1, 1, 1, 1, 1, 1, 1].forEach((v, i) => f64(v, 104 + 8 * i));
  i64(544, 168);
  f64(1, 176);
  return Buffer.concat([b, int16Voxels(shape[0] * shape[1] * shape[2], littleEndian)]);
}
