import type { VoxelArray } from '../core/volume';

/** The voxel types the image readers and writers understand, named as numpy names them. */
export type VoxelDType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'float32' | 'float64';

interface DTypeInfo {
  readonly bytes: number;
  readonly integer: boolean;
  readonly min: number;
  readonly max: number;
  readonly make: (length: number) => VoxelArray;
  readonly view: (buffer: ArrayBufferLike, byteOffset: number, length: number) => VoxelArray;
}

const info: Record<VoxelDType, DTypeInfo> = {
  int8: { bytes: 1, integer: true, min: -128, max: 127, make: (n) => new Int8Array(n), view: (b, o, n) => new Int8Array(b, o, n) },
  uint8: { bytes: 1, integer: true, min: 0, max: 255, make: (n) => new Uint8Array(n), view: (b, o, n) => new Uint8Array(b, o, n) },
  int16: { bytes: 2, integer: true, min: -32768, max: 32767, make: (n) => new Int16Array(n), view: (b, o, n) => new Int16Array(b, o, n) },
  uint16: { bytes: 2, integer: true, min: 0, max: 65535, make: (n) => new Uint16Array(n), view: (b, o, n) => new Uint16Array(b, o, n) },
  int32: { bytes: 4, integer: true, min: -2147483648, max: 2147483647, make: (n) => new Int32Array(n), view: (b, o, n) => new Int32Array(b, o, n) },
  uint32: { bytes: 4, integer: true, min: 0, max: 4294967295, make: (n) => new Uint32Array(n), view: (b, o, n) => new Uint32Array(b, o, n) },
  float32: { bytes: 4, integer: false, min: -Infinity, max: Infinity, make: (n) => new Float32Array(n), view: (b, o, n) => new Float32Array(b, o, n) },
  float64: { bytes: 8, integer: false, min: -Infinity, max: Infinity, make: (n) => new Float64Array(n), view: (b, o, n) => new Float64Array(b, o, n) },
};

export const VOXEL_DTYPES = Object.keys(info) as VoxelDType[];

export function bytesPerVoxel(dtype: VoxelDType): number {
  return info[dtype].bytes;
}

export function dtypeOf(data: VoxelArray): VoxelDType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Uint8Array) return 'uint8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Uint16Array) return 'uint16';
  if (data instanceof Int32Array) return 'int32';
  return 'uint32';
}

export function allocVoxels(dtype: VoxelDType, length: number): VoxelArray {
  return info[dtype].make(length);
}

/**
 * Typed view of `length` little-endian voxels at `byteOffset` of `bytes`. Copies when the offset is not aligned for
 * the type, and byte-swaps (on a copy) when the data is big-endian, so the caller always gets native values.
 */
export function voxelsFromBytes(bytes: Uint8Array, byteOffset: number, length: number, dtype: VoxelDType, littleEndian: boolean): VoxelArray {
  const size = info[dtype].bytes;
  let region = bytes.subarray(byteOffset, byteOffset + length * size);
  const needsSwap = !littleEndian && size > 1;
  if (needsSwap || region.byteOffset % size !== 0) region = new Uint8Array(region);
  if (needsSwap) {
    const buf = Buffer.from(region.buffer, region.byteOffset, region.byteLength);
    if (size === 2) buf.swap16();
    else if (size === 4) buf.swap32();
    else buf.swap64();
  }
  return info[dtype].view(region.buffer, region.byteOffset, length);
}

/** Little-endian bytes of a typed array (a view, no copy: every platform Node supports is little-endian). */
export function bytesOfVoxels(data: VoxelArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Converts voxel values to `dtype`. Integer targets round to the nearest integer and refuse values outside the
 * type's range (or NaN) rather than wrapping silently; `what` names the data in the error.
 */
export function castVoxels(data: VoxelArray, dtype: VoxelDType, what: string): VoxelArray {
  if (dtypeOf(data) === dtype) return data;
  const target = info[dtype];
  const out = target.make(data.length);
  if (!target.integer) {
    out.set(data);
    return out;
  }
  for (let i = 0; i < data.length; i++) {
    const x = data[i]!; // i < data.length
    const v = Math.round(x);
    if (!(v >= target.min && v <= target.max)) {
      throw new RangeError(`${what}: value ${x} at voxel ${i} does not fit in ${dtype}`);
    }
    out[i] = v;
  }
  return out;
}
