import { encodeNifti1Header, type Nifti1Header } from '../../src/io/niftiHeader';

/** A .nii with the given header fields over a 4x3x2 int16 volume. */
export function niftiBytes(fields: Partial<Omit<Nifti1Header, 'littleEndian'>>, dataBytes = 4 * 3 * 2 * 2): Buffer {
  const header = encodeNifti1Header(
    {
      dim: [3, 4, 3, 2, 1, 1, 1, 1],
      datatype: 4,
      pixdim: [1, 1, 1, 1, 0, 0, 0, 0],
      voxOffset: 352,
      sclSlope: 1,
      sclInter: 0,
      xyztUnits: 2,
      qformCode: 0,
      sformCode: 0,
      quatern: [0, 0, 0],
      qoffset: [0, 0, 0],
      srow: [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
      descrip: '',
      ...fields,
    },
    16,
  );
  return Buffer.concat([header, Buffer.alloc(dataBytes)]);
}
