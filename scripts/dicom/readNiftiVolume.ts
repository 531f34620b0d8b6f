import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { makeVolume, type Mat4, type Volume } from '../../src/infer/volume';

/**
 * Minimal NIfTI-1 reader for the test-data generators (nifti-reader-js is ESM-only, which jest's CommonJS runtime
 * cannot load): little-endian, sform geometry, integer or float32 voxels, scl_slope/inter applied.
 */
export function readNiftiVolume(file: string): Volume<Float32Array> {
  let buf = fs.readFileSync(file);
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = zlib.gunzipSync(buf);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (v.getInt32(0, true) !== 348) throw new Error(`${file}: not a little-endian NIfTI-1 file`);
  const dims = [1, 2, 3].map((d) => v.getInt16(40 + 2 * d, true));
  if (v.getInt16(40, true) < 3) throw new Error(`${file}: fewer than 3 dimensions`);
  if (v.getInt16(254, true) <= 0) throw new Error(`${file}: no sform (this reader needs sform_code > 0)`);
  const srow = (off: number) => [0, 1, 2, 3].map((c) => v.getFloat32(off + 4 * c, true));
  const affine = [srow(280), srow(296), srow(312), [0, 0, 0, 1]] as unknown as Mat4;
  const offset = Math.round(v.getFloat32(108, true));
  const slope = v.getFloat32(112, true) || 1;
  const inter = slope === 1 && v.getFloat32(112, true) === 0 ? 0 : v.getFloat32(116, true);
  const n = dims[0] * dims[1] * dims[2];
  const readers: Record<number, [number, (o: number) => number]> = {
    2: [1, (o) => v.getUint8(o)],
    4: [2, (o) => v.getInt16(o, true)],
    8: [4, (o) => v.getInt32(o, true)],
    16: [4, (o) => v.getFloat32(o, true)],
    512: [2, (o) => v.getUint16(o, true)],
  };
  const datatype = v.getInt16(70, true);
  const reader = readers[datatype];
  if (!reader) throw new Error(`${file}: NIfTI datatype ${datatype} not supported here`);
  const [size, read] = reader;
  if (buf.byteLength < offset + n * size) throw new Error(`${file}: truncated voxel data`);
  const data = new Float32Array(n);
  for (let p = 0; p < n; p++) data[p] = read(offset + p * size) * slope + inter;
  return makeVolume(data, [dims[0], dims[1], dims[2]], affine);
}
