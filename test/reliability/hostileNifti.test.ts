import * as zlib from 'node:zlib';
import { describeWithRunner } from '../server/harness/realRunner';
import {
  accepted,
  everywhere,
  expectCase,
  HostileUploadBench,
  NOT_AN_IMAGE,
  refused,
  UPLOAD_ENDPOINTS,
  type Expectation,
  type HostileCase,
  type UploadEndpoint,
} from './harness/hostileUploads';
import { int16Voxels, nifti2File, niftiFile, niftiHeader, type NiftiFields } from './harness/niftiBuilder';
import { zerosGzip } from './harness/rawZip';

/**
 * Malformed and hostile NIfTI-1 files (.nii and .nii.gz) through the four upload routes of a real `wbct serve`
 * process: every header field broken in turn, truncations, broken gzip, bombs, off-grid labels, and a few valid or
 * merely unusual files that must be accepted. Each answer must be the catalogued 4xx with a clear detail, the process
 * must stay up, and nothing refused may be stored.
 */

const SHAPE = [16, 12, 8] as const;
const VOXELS = SHAPE[0] * SHAPE[1] * SHAPE[2];

/** A valid file: int16, LPS-stored (x and y flipped in RAS), sform and qform equal, every value exact in float32. */
const BASE: NiftiFields = {
  littleEndian: true,
  sizeofHdr: 348,
  dim: [3, SHAPE[0], SHAPE[1], SHAPE[2], 1, 1, 1, 1],
  datatype: 4,
  bitpix: 16,
  pixdim: [1, 0.75, 0.75, 1.5, 0, 0, 0, 0],
  voxOffset: 352,
  sclSlope: 1,
  sclInter: 0,
  xyztUnits: 10,
  qformCode: 1,
  sformCode: 1,
  quatern: [0, 0, 1],
  qoffset: [12.5, -30.25, 7],
  srow: [
    [-0.75, 0, 0, 12.5],
    [0, -0.75, 0, -30.25],
    [0, 0, 1.5, 7],
  ],
  magic: 'n+1',
};

const QFORM_ONLY: Partial<NiftiFields> = { sformCode: 0 };
const PIXDIM_ONLY: Partial<NiftiFields> = { sformCode: 0, qformCode: 0 };

function withDim(index: number, value: number, base: readonly number[] = BASE.dim): number[] {
  const d = [...base];
  d[index] = value;
  return d;
}

function withPixdim(index: number, value: number): number[] {
  const p = [...BASE.pixdim];
  p[index] = value;
  return p;
}

const baseData = (le = true) => int16Voxels(VOXELS, le);
const VALID = niftiFile(BASE, baseData());

/** Where a tolerated (readable, on-grid) header lands: every route accepts it. */
const TOLERATED = everywhere(accepted);
/** Readable, but its grid is not the label target's: accepted as an image, 422 as that image's label. */
const READABLE_OFF_GRID: Partial<Record<UploadEndpoint, Expectation>> = { datastore: accepted, infer: accepted, session: accepted, label: refused(422) };

interface HeaderDefect {
  readonly name: string;
  readonly fields: Partial<NiftiFields>;
  /** Voxel bytes (default: the base volume in the header's byte order). */
  readonly data?: Buffer;
  readonly dataAt?: number;
  readonly expect: Partial<Record<UploadEndpoint, Expectation>>;
}

const TOO_MANY_VOXELS = refused(413, /maxInputVoxels/);
const TOO_MANY_BYTES = refused(413, /maxDecompressedBytes/);

/** Every header field broken in turn; each is sent as .nii and as .nii.gz. */
const HEADER_DEFECTS: readonly HeaderDefect[] = [
  { name: 'sizeof_hdr 0', fields: { sizeofHdr: 0 }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'sizeof_hdr 347', fields: { sizeofHdr: 347 }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'sizeof_hdr 540 on a NIfTI-1 layout', fields: { sizeofHdr: 540 }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'sizeof_hdr -348', fields: { sizeofHdr: -348 }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'magic "xyz"', fields: { magic: 'xyz' }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'magic "ni1" (a .hdr/.img pair header)', fields: { magic: 'ni1' }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'magic "n+2"', fields: { magic: 'n+2' }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'magic zeroed', fields: { magic: '\0\0\0\0' }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'dim[0] 0', fields: { dim: withDim(0, 0) }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'dim[0] 8', fields: { dim: withDim(0, 8) }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'dim[0] -1', fields: { dim: withDim(0, -1) }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'dim[0] 1 (1D)', fields: { dim: withDim(0, 1) }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'dim[0] 2 (2D)', fields: { dim: withDim(0, 2) }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'dim[1] 0', fields: { dim: withDim(1, 0) }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'dim[2] -1', fields: { dim: withDim(2, -1) }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'dim[3] -32768', fields: { dim: withDim(3, -32768) }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'dims 32767^3 int16 (3.5e13 voxels)', fields: { dim: [3, 32767, 32767, 32767, 1, 1, 1, 1] }, expect: everywhere(TOO_MANY_VOXELS) },
  { name: 'dims 30000 x 30000 x 1 (9e8 voxels)', fields: { dim: [3, 30000, 30000, 1, 1, 1, 1, 1] }, expect: everywhere(TOO_MANY_VOXELS) },
  { name: '4D with 2 frames', fields: { dim: [4, ...SHAPE, 2, 1, 1, 1] }, data: Buffer.concat([baseData(), baseData()]), expect: everywhere(NOT_AN_IMAGE) },
  { name: '5D (dim[5] 3)', fields: { dim: [5, ...SHAPE, 1, 3, 1, 1] }, data: Buffer.concat([baseData(), baseData(), baseData()]), expect: everywhere(NOT_AN_IMAGE) },
  { name: '4D with one frame (a 3D volume)', fields: { dim: [4, ...SHAPE, 1, 1, 1, 1] }, expect: TOLERATED },
  { name: 'datatype 0 (unknown)', fields: { datatype: 0 }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'datatype 9999', fields: { datatype: 9999 }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'datatype -1', fields: { datatype: -1 }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'datatype 1 (binary)', fields: { datatype: 1, bitpix: 1 }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'datatype 32 (complex64)', fields: { datatype: 32, bitpix: 64 }, data: Buffer.alloc(VOXELS * 8), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'datatype 1792 (complex128)', fields: { datatype: 1792, bitpix: 128 }, data: Buffer.alloc(VOXELS * 16), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'datatype 128 (RGB24)', fields: { datatype: 128, bitpix: 24 }, data: Buffer.alloc(VOXELS * 3), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'datatype 2304 (RGBA32)', fields: { datatype: 2304, bitpix: 32 }, data: Buffer.alloc(VOXELS * 4), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'datatype 1024 (int64)', fields: { datatype: 1024, bitpix: 64 }, data: Buffer.alloc(VOXELS * 8), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'datatype 1536 (float128)', fields: { datatype: 1536, bitpix: 128 }, data: Buffer.alloc(VOXELS * 16), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'datatype float32 with data for int16', fields: { datatype: 16, bitpix: 32 }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'datatype float64 with data for int16', fields: { datatype: 64, bitpix: 64 }, expect: everywhere(NOT_AN_IMAGE) },
  // bitpix is redundant with datatype; nibabel (and so MONAI) reads by datatype alone.
  { name: 'bitpix 8 for int16 data', fields: { bitpix: 8 }, expect: TOLERATED },
  { name: 'bitpix 0', fields: { bitpix: 0 }, expect: TOLERATED },
  { name: 'bitpix 8 for int16, data sized for bitpix', fields: { bitpix: 8 }, data: baseData().subarray(0, VOXELS), expect: everywhere(NOT_AN_IMAGE) },
  // nibabel's fix for a single-file offset below 352 is 352; the reader does the same.
  { name: 'vox_offset 0', fields: { voxOffset: 0 }, expect: TOLERATED },
  { name: 'vox_offset -352', fields: { voxOffset: -352 }, expect: TOLERATED },
  { name: 'vox_offset 352.5 (non-integer)', fields: { voxOffset: 352.5 }, expect: TOLERATED },
  { name: 'vox_offset 400, data there', fields: { voxOffset: 400 }, dataAt: 400, expect: TOLERATED },
  { name: 'vox_offset 1e6, past the end', fields: { voxOffset: 1e6 }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'vox_offset 2147483000, past the end', fields: { voxOffset: 2147483000 }, expect: everywhere(refused(415, undefined, [413])) },
  { name: 'vox_offset 1e30', fields: { voxOffset: 1e30 }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'vox_offset NaN', fields: { voxOffset: NaN }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'vox_offset +Inf', fields: { voxOffset: Infinity }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'vox_offset -Inf', fields: { voxOffset: -Infinity }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'qform only, pixdim[1] 0', fields: { ...QFORM_ONLY, pixdim: withPixdim(1, 0) }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'qform only, pixdim[2] -1', fields: { ...QFORM_ONLY, pixdim: withPixdim(2, -1) }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'qform only, pixdim[3] NaN', fields: { ...QFORM_ONLY, pixdim: withPixdim(3, NaN) }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'qform only, pixdim[1] +Inf', fields: { ...QFORM_ONLY, pixdim: withPixdim(1, Infinity) }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'no qform/sform, pixdim[1] 0', fields: { ...PIXDIM_ONLY, pixdim: withPixdim(1, 0) }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'no qform/sform, pixdim[3] -Inf', fields: { ...PIXDIM_ONLY, pixdim: withPixdim(3, -Infinity) }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'no qform/sform (pixdim affine, origin at the centre)', fields: PIXDIM_ONLY, expect: READABLE_OFF_GRID },
  { name: 'sform with a NaN', fields: { srow: [[-0.75, 0, 0, 12.5], [0, NaN, 0, -30.25], [0, 0, 1.5, 7]] }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'sform with an Inf offset', fields: { srow: [[-0.75, 0, 0, Infinity], [0, -0.75, 0, -30.25], [0, 0, 1.5, 7]] }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'sform all zeros', fields: { srow: [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]] }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'sform singular (two equal columns)', fields: { srow: [[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 1.5, 0]] }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'sform singular (rank 2)', fields: { srow: [[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 2, 0]] }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'sform code 9999 (unknown, still an sform)', fields: { sformCode: 9999 }, expect: TOLERATED },
  { name: 'sform code -1 (falls back to the equal qform)', fields: { sformCode: -1 }, expect: TOLERATED },
  { name: 'qform only, quaternion NaN', fields: { ...QFORM_ONLY, quatern: [NaN, 0, 1] }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'qform only, quaternion b = 2 (|q| > 1)', fields: { ...QFORM_ONLY, quatern: [2, 0, 0] }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'qform only, quaternion Inf', fields: { ...QFORM_ONLY, quatern: [0, Infinity, 0] }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'qform only, qoffset NaN', fields: { ...QFORM_ONLY, qoffset: [NaN, 0, 0] }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'qform NaN quaternion but a valid sform (the sform wins)', fields: { quatern: [NaN, NaN, NaN] }, expect: TOLERATED },
  // nibabel: a zero or non-finite slope means unscaled.
  { name: 'scl_slope NaN (unscaled)', fields: { sclSlope: NaN }, expect: TOLERATED },
  { name: 'scl_slope +Inf (unscaled)', fields: { sclSlope: Infinity }, expect: TOLERATED },
  { name: 'scl_slope 1, scl_inter NaN', fields: { sclSlope: 1, sclInter: NaN }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'scl_slope 2, scl_inter -Inf', fields: { sclSlope: 2, sclInter: -Infinity }, expect: everywhere(NOT_AN_IMAGE) },
  { name: 'big-endian, valid', fields: { littleEndian: false }, data: baseData(false), expect: TOLERATED },
  { name: 'big-endian, dim[0] 0', fields: { littleEndian: false, dim: withDim(0, 0) }, data: baseData(false), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'big-endian, datatype complex64', fields: { littleEndian: false, datatype: 32, bitpix: 64 }, data: Buffer.alloc(VOXELS * 8), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'big-endian, sform singular', fields: { littleEndian: false, srow: [[0, 0, 0, 1], [0, 0, 0, 1], [0, 0, 0, 1]] }, data: baseData(false), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'big-endian, data truncated', fields: { littleEndian: false }, data: baseData(false).subarray(0, 1000), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'big-endian, dims 30000 x 30000 x 1', fields: { littleEndian: false, dim: [3, 30000, 30000, 1, 1, 1, 1, 1] }, data: Buffer.alloc(0), expect: everywhere(TOO_MANY_VOXELS) },
];

function niftiCase(defect: HeaderDefect, gzip: boolean): HostileCase {
  const fields = { ...BASE, ...defect.fields };
  const raw = niftiFile(fields, defect.data ?? baseData(fields.littleEndian), defect.dataAt);
  return {
    name: `${gzip ? '.nii.gz' : '.nii'} ${defect.name}`,
    fileName: gzip ? 'case.nii.gz' : 'case.nii',
    bytes: gzip ? zlib.gzipSync(raw, { level: 1 }) : raw,
    expect: defect.expect,
  };
}

const gz = (b: Buffer) => zlib.gzipSync(b, { level: 1 });

/** A valid 48 x 48 x 24 int16 volume of pseudo-random values: it does not compress below a few hundred KB. */
const NOISE = (() => {
  const n = 48 * 48 * 24;
  const data = Buffer.alloc(2 * n);
  let x = 2463534242;
  for (let p = 0; p < n; p++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data.writeInt16LE(((x >>> 0) % 2000) - 1000, 2 * p);
  }
  return niftiFile({ ...BASE, dim: [3, 48, 48, 24, 1, 1, 1, 1] }, data);
})();
const VALID_GZ = gz(VALID);

function withCrcFlipped(g: Buffer): Buffer {
  const out = Buffer.from(g);
  const crc = out.length - 8;
  out[crc] = out[crc]! ^ 0xff; // a gzip member ends in CRC32 and size, 8 bytes
  return out;
}

function withIsizeWrong(g: Buffer): Buffer {
  const out = Buffer.from(g);
  out.writeUInt32LE((out.readUInt32LE(out.length - 4) + 1) >>> 0, out.length - 4);
  return out;
}

function affineHeader(shape: readonly [number, number, number], spacing: number, dtype: { code: number; bitpix: number } = { code: 4, bitpix: 16 }): NiftiFields {
  return {
    ...BASE,
    dim: [3, ...shape, 1, 1, 1, 1],
    datatype: dtype.code,
    bitpix: dtype.bitpix,
    pixdim: [1, spacing, spacing, spacing, 0, 0, 0, 0],
    srow: [
      [spacing, 0, 0, 0],
      [0, spacing, 0, 0],
      [0, 0, spacing, 0],
    ],
    quatern: [0, 0, 0],
    qoffset: [0, 0, 0],
  };
}

const truncations: HostileCase[] = [0, 1, 4, 40, 100, 200, 252, 344, 347, 348, 351, 352, 353, 1000, 352 + VOXELS, VALID.length - 1].map((n) => ({
  name: `.nii truncated at byte ${n} of ${VALID.length}`,
  fileName: 'cut.nii',
  bytes: VALID.subarray(0, n),
  expect: everywhere(NOT_AN_IMAGE),
}));

const gzipCases: HostileCase[] = [
  { name: '.nii.gz valid (control)', fileName: 'ok.nii.gz', bytes: VALID_GZ, expect: TOLERATED },
  { name: '.nii valid (control)', fileName: 'ok.nii', bytes: VALID, expect: TOLERATED },
  { name: '.nii.gz valid, 48 x 48 x 24 of noise (a gzip stream longer than a header prefix; control)', fileName: 'noise.nii.gz', bytes: gz(NOISE), expect: READABLE_OFF_GRID },
  ...[2, 10, 30, 100, Math.floor(VALID_GZ.length / 2), VALID_GZ.length - 8, VALID_GZ.length - 1].map((n) => ({
    name: `.nii.gz truncated at byte ${n} of ${VALID_GZ.length}`,
    fileName: 'cut.nii.gz',
    bytes: VALID_GZ.subarray(0, n),
    expect: everywhere(NOT_AN_IMAGE),
  })),
  { name: '.nii.gz with a corrupt CRC', fileName: 'crc.nii.gz', bytes: withCrcFlipped(VALID_GZ), expect: everywhere(NOT_AN_IMAGE) },
  { name: '.nii.gz with a wrong ISIZE', fileName: 'isize.nii.gz', bytes: withIsizeWrong(VALID_GZ), expect: everywhere(NOT_AN_IMAGE) },
  { name: '.nii.gz with a flipped byte mid-stream', fileName: 'flip.nii.gz', bytes: (() => { const b = Buffer.from(VALID_GZ); const mid = Math.floor(b.length / 2); b[mid] = b[mid]! ^ 0x55; return b; })(), expect: everywhere(NOT_AN_IMAGE) },
  { name: '.nii.gz with an unknown compression method byte', fileName: 'cm.nii.gz', bytes: (() => { const b = Buffer.from(VALID_GZ); b[2] = 7; return b; })(), expect: everywhere(NOT_AN_IMAGE) },
  { name: '.nii.gz header only (no voxels)', fileName: 'hdr.nii.gz', bytes: gz(niftiHeader(BASE)), expect: everywhere(NOT_AN_IMAGE) },
  { name: '.nii.gz as two gzip members (header, voxels)', fileName: 'two.nii.gz', bytes: Buffer.concat([gz(VALID.subarray(0, 352)), gz(VALID.subarray(352))]), expect: TOLERATED },
  { name: '.nii.gz followed by a second member of garbage bytes', fileName: 'garbage.nii.gz', bytes: Buffer.concat([VALID_GZ, gz(Buffer.alloc(200_000, 7))]), expect: everywhere(NOT_AN_IMAGE) },
  { name: '.nii.gz followed by raw garbage bytes', fileName: 'garbage.nii.gz', bytes: Buffer.concat([VALID_GZ, Buffer.from('garbage after the gzip member')]), expect: everywhere(NOT_AN_IMAGE) },
  // gzip(1) and zlib ignore zero padding after the last member (tape blocking); so does the reader.
  { name: '.nii.gz followed by 512 zero bytes of padding', fileName: 'padded.nii.gz', bytes: Buffer.concat([VALID_GZ, Buffer.alloc(512)]), expect: TOLERATED },
  { name: '.nii.gz gzip of text', fileName: 'text.nii.gz', bytes: gz(Buffer.from('this is not an image\n'.repeat(50))), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'a text file named .nii.gz', fileName: 'text.nii.gz', bytes: Buffer.from('hello, I am a text file\n'.repeat(30)), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'a text file named .nii', fileName: 'text.nii', bytes: Buffer.from('hello, I am a text file\n'.repeat(30)), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'an empty .nii.gz', fileName: 'empty.nii.gz', bytes: Buffer.alloc(0), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'a 1-byte .nii.gz', fileName: 'one.nii.gz', bytes: Buffer.from([0x1f]), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'the 2 gzip magic bytes only', fileName: 'magic.nii.gz', bytes: Buffer.from([0x1f, 0x8b]), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'a 1-byte .nii', fileName: 'one.nii', bytes: Buffer.from([0]), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'a NIfTI-2 file (little-endian)', fileName: 'n2.nii', bytes: nifti2File(SHAPE, true), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'a NIfTI-2 file (big-endian)', fileName: 'n2be.nii', bytes: nifti2File(SHAPE, false), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'a NIfTI-2 file, gzipped', fileName: 'n2.nii.gz', bytes: gz(nifti2File(SHAPE, true)), expect: everywhere(NOT_AN_IMAGE) },
  { name: '.nii with 100 bytes after the voxels', fileName: 'tail.nii', bytes: Buffer.concat([VALID, Buffer.alloc(100)]), expect: TOLERATED },
  { name: '.nii with 10 MB of zeros after the voxels', fileName: 'tail.nii', bytes: Buffer.concat([VALID, Buffer.alloc(10 << 20)]), expect: everywhere(NOT_AN_IMAGE) },
  { name: '.nii.gz with 10 MB of zeros after the voxels', fileName: 'tail.nii.gz', bytes: gz(Buffer.concat([VALID, Buffer.alloc(10 << 20)])), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'DICOM preamble and marker named .nii', fileName: 'dicom.nii', bytes: Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.alloc(400)]), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'a NRRD file named .nii', fileName: 'nrrd.nii', bytes: Buffer.from('NRRD0004\ntype: short\ndimension: 3\nsizes: 2 2 2\nencoding: raw\nspacings: 1 1 1\n\n\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0'), expect: everywhere(NOT_AN_IMAGE) },
  { name: 'a zip archive named .nii.gz', fileName: 'zip.nii.gz', bytes: Buffer.concat([Buffer.from('PK\x05\x06'), Buffer.alloc(18)]), expect: everywhere(NOT_AN_IMAGE) },
];

/** The label target's grid, changed one way at a time: readable images, but never that image's label. */
const offGridLabels: HostileCase[] = [
  { name: 'another shape (16 x 12 x 7)', fields: { dim: withDim(3, 7) }, data: baseData().subarray(0, 16 * 12 * 7 * 2) },
  { name: 'other spacing (0.8 mm)', fields: { pixdim: withPixdim(1, 0.8), srow: [[-0.8, 0, 0, 12.5], [0, -0.75, 0, -30.25], [0, 0, 1.5, 7]] as NiftiFields['srow'] } },
  { name: 'other origin (+1 mm in x)', fields: { qoffset: [13.5, -30.25, 7] as const, srow: [[-0.75, 0, 0, 13.5], [0, -0.75, 0, -30.25], [0, 0, 1.5, 7]] as NiftiFields['srow'] } },
  { name: 'other direction (x not flipped)', fields: { quatern: [0, 1, 0] as const, srow: [[0.75, 0, 0, 12.5], [0, -0.75, 0, -30.25], [0, 0, -1.5, 7]] as NiftiFields['srow'] } },
  { name: 'axes permuted (12 x 16 x 8)', fields: { dim: [3, 12, 16, 8, 1, 1, 1, 1] } },
].map((d) => ({ name: `label off the image grid: ${d.name}`, fileName: 'label.nii', bytes: niftiFile({ ...BASE, ...d.fields }, d.data ?? baseData()), expect: { label: refused(422, /does not match its image/) } }));

const uint8Label = (() => {
  const data = Buffer.alloc(VOXELS);
  for (let p = 0; p < VOXELS; p++) data[p] = p % 5;
  return niftiFile({ ...BASE, datatype: 2, bitpix: 8 }, data);
})();

const bombs: HostileCase[] = [
  {
    name: 'decompression bomb: 1024 x 1024 x 1200 uint8 declared, about 1.2 MB of gzip',
    fileName: 'bomb.nii.gz',
    bytes: zerosGzip(352 + 1024 * 1024 * 1200, niftiHeader({ ...BASE, dim: [3, 1024, 1024, 1200, 1, 1, 1, 1], datatype: 2, bitpix: 8 })),
    expect: everywhere(TOO_MANY_VOXELS),
  },
  {
    // The header declares 3 KB of voxels; the stream goes on to 1.1 GB. Refused as soon as it passes what the
    // header can hold: 415 (not an image of that header) or 413 (past the limit) are both a refusal before the cost.
    name: 'gzip bomb: a valid 16 x 12 x 8 header, then 1.1 GB of zeros',
    fileName: 'tailbomb.nii.gz',
    bytes: zerosGzip(1100 << 20, VALID),
    expect: everywhere(refused(415, undefined, [413])),
  },
  {
    name: '.nii declaring 600 x 600 x 800 int16 (288 M voxels > maxInputVoxels), header only',
    fileName: 'huge.nii',
    bytes: niftiHeader({ ...BASE, dim: [3, 600, 600, 800, 1, 1, 1, 1] }),
    expect: everywhere(TOO_MANY_VOXELS),
  },
  {
    name: '.nii declaring 600 x 600 x 800 int16 with 8 MB of its data',
    fileName: 'huge.nii',
    bytes: Buffer.concat([niftiHeader({ ...BASE, dim: [3, 600, 600, 800, 1, 1, 1, 1] }), Buffer.alloc(8 << 20)]),
    expect: everywhere(TOO_MANY_VOXELS),
  },
  {
    name: '.nii.gz declaring 600 x 600 x 800 int16, header only',
    fileName: 'huge.nii.gz',
    bytes: gz(niftiHeader({ ...BASE, dim: [3, 600, 600, 800, 1, 1, 1, 1] })),
    expect: everywhere(TOO_MANY_VOXELS),
  },
  {
    name: '.nii declaring 512 x 512 x 1000 float64 (2 GiB of voxels > maxDecompressedBytes, voxels within maxInputVoxels)',
    fileName: 'f64.nii',
    bytes: niftiHeader({ ...BASE, dim: [3, 512, 512, 1000, 1, 1, 1, 1], datatype: 64, bitpix: 64 }),
    expect: everywhere(TOO_MANY_BYTES),
  },
  {
    name: '.nii.gz with vox_offset 2e9 (voxels start past maxDecompressedBytes)',
    fileName: 'offset.nii.gz',
    bytes: gz(niftiHeader({ ...BASE, voxOffset: 2e9 })),
    expect: everywhere(TOO_MANY_BYTES),
  },
];

/** Readable files whose geometry would cost the pipeline far more than the limits allow: refused before the queue. */
const geometry: HostileCase[] = [
  { name: '4 x 4 x 4 voxels of 1e30 mm', fields: affineHeader([4, 4, 4], 1e30), limit: /maxExtentMm/ },
  { name: '4 x 4 x 4 voxels of 5000 mm', fields: affineHeader([4, 4, 4], 5000), limit: /maxExtentMm/ },
  { name: '4 x 4 x 4 voxels of 300 mm (a million-fold upsampling)', fields: affineHeader([4, 4, 4], 300), limit: /maxUpsampling/ },
  { name: 'qform only, 8 x 8 x 8 voxels of 1e6 mm', fields: { ...affineHeader([8, 8, 8], 1e6), sformCode: 0 }, limit: /maxExtentMm/ },
  { name: '170^3 voxels of 11.7 mm (291 M voxels at 3 mm)', fields: affineHeader([170, 170, 170], 11.7, { code: 2, bitpix: 8 }), limit: /maxResampledVoxels/ },
].map((g) => {
  const voxels = g.fields.dim.slice(1, 4).reduce((n, d) => n * d, 1);
  const bytesPer = g.fields.bitpix / 8;
  return { name: `geometry: ${g.name}`, fileName: 'geometry.nii.gz', bytes: gz(niftiFile(g.fields, Buffer.alloc(voxels * bytesPer))), expect: { infer: refused(422, g.limit) } };
});

const CASES: readonly HostileCase[] = [
  ...HEADER_DEFECTS.flatMap((d) => [niftiCase(d, false), niftiCase(d, true)]),
  ...truncations,
  ...gzipCases,
  ...offGridLabels,
  { name: 'label: uint8 on the image grid (control)', fileName: 'label.nii', bytes: uint8Label, expect: { label: accepted } },
  { name: 'label: uint8 on the image grid, gzipped (control)', fileName: 'label.nii.gz', bytes: gz(uint8Label), expect: { label: accepted } },
  ...bombs,
  ...geometry,
];

const RUNS = CASES.flatMap((c) => UPLOAD_ENDPOINTS.filter((e) => c.expect[e] !== undefined).map((endpoint) => ({ endpoint, c, expectation: c.expect[endpoint]! })));

describeWithRunner('hostile NIfTI uploads (real server process)', () => {
  let bench: HostileUploadBench;

  beforeAll(async () => {
    bench = await HostileUploadBench.start('wbct-hostile-nifti-', VALID);
  });

  afterAll(async () => {
    await bench?.stop();
  });

  it.each(RUNS.map((r) => [`${r.endpoint}: ${r.c.name}`, r] as const))('%s', async (_title, { endpoint, c, expectation }) => {
    const result = await bench.runCase('nifti', endpoint, c, expectation);
    expectCase(result, expectation);
  });

  it('the session flow: a session holding a 5000 mm-voxel image is refused at infer with 422', async () => {
    const file = { name: 'session flow: 4 x 4 x 4 voxels of 5000 mm', fileName: 'huge-voxels.nii', bytes: niftiFile(affineHeader([4, 4, 4], 5000), Buffer.alloc(128)) };
    const made = await bench.send('session', file);
    expect(made.answer.status).toBe(200);
    const sessionId = (made.answer.body as { session_id: string }).session_id;
    const expectation = refused(422, /maxExtentMm/);
    const result = await bench.runCase('nifti', 'infer', file, expectation, () => bench.inferSession(sessionId));
    expectCase(result, expectation);
  });

  it('the server never crashed, and the datastore holds exactly what it held plus the accepted uploads', async () => {
    expect(bench.crashes).toEqual([]);
    expect(await bench.datastoreKeys()).toEqual(bench.expectedKeys());
    expect(bench.leftovers()).toEqual([]);
  });
});
