import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { readImage, writeImage } from '../../src/io';
import { encodeNifti1Header } from '../../src/io/niftiHeader';
import { niftiBytes } from './niftiBytes';
import { AFFINE_OF, patternVolume, tempDir } from './volumeCases';

const dir = tempDir();
const sform = { sformCode: 1, srow: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]] as [[number, number, number, number], [number, number, number, number], [number, number, number, number]] };

function put(name: string, bytes: Uint8Array | string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

const nrrd = (fields: string, data = Buffer.alloc(24)) =>
  Buffer.concat([Buffer.from(`NRRD0004\ntype: uchar\ndimension: 3\nsizes: 4 3 2\nspace: left-posterior-superior\nspace directions: (1,0,0) (0,1,0) (0,0,1)\n${fields}\n`), data]);

const cases: Array<[string, () => string, RegExp]> = [
  ['truncated .nii.gz', () => put('cut.nii.gz', zlib.gzipSync(niftiBytes(sform)).subarray(0, 60)), /cut\.nii\.gz: gzip data is truncated or corrupt/],
  ['truncated .nii voxels', () => put('short.nii', niftiBytes(sform, 10)), /short\.nii: truncated NIfTI: 4x3x2 int16 voxels need 400 bytes, the file has 362/],
  ['header only', () => put('tiny.nii', Buffer.alloc(100)), /tiny\.nii: too short for a NIfTI header/],
  ['not NIfTI', () => put('junk.nii', Buffer.alloc(400, 7)), /junk\.nii: not a NIfTI-1 file/],
  ['complex datatype', () => put('complex.nii', niftiBytes({ ...sform, datatype: 32 })), /complex\.nii: unsupported NIfTI datatype 32 \(complex64\)/],
  ['int64 datatype', () => put('i64.nii', niftiBytes({ ...sform, datatype: 1024 })), /i64\.nii: unsupported NIfTI datatype 1024 \(int64\)/],
  ['4D image', () => put('4d.nii', niftiBytes({ ...sform, dim: [4, 4, 3, 2, 5, 1, 1, 1] }, 240)), /4d\.nii: 4D image \(dim\[4\] = 5\)/],
  ['2D image', () => put('2d.nii', niftiBytes({ ...sform, dim: [2, 4, 3, 1, 1, 1, 1, 1] })), /2d\.nii: 2D image/],
  ['empty volume', () => put('empty.nii', niftiBytes({ ...sform, dim: [3, 4, 0, 2, 1, 1, 1, 1] })), /empty\.nii: empty or invalid volume size 4 x 0 x 2/],
  ['zero spacing (sform)', () => put('zero.nii', niftiBytes({ sformCode: 1, srow: [[1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]] })), /zero\.nii: the sform affine is degenerate/],
  ['NaN sform', () => put('nan.nii', niftiBytes({ sformCode: 1, srow: [[NaN, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]] })), /nan\.nii: the sform affine has a NaN/],
  ['negative spacing (qform)', () => put('neg.nii', niftiBytes({ qformCode: 1, pixdim: [1, 1, -2, 1, 0, 0, 0, 0] })), /neg\.nii: invalid voxel spacing \(pixdim 1 x -2 x 1\)/],
  ['NaN spacing (pixdim)', () => put('nanpix.nii', niftiBytes({ pixdim: [1, NaN, 1, 1, 0, 0, 0, 0] })), /nanpix\.nii: invalid voxel spacing/],
  ['NIfTI-2', () => {
    const b = niftiBytes(sform);
    b.writeInt32LE(540, 0);
    return put('two.nii', b);
  }, /two\.nii: NIfTI-2 files are not supported/],
  ['hdr/img pair header', () => {
    const b = niftiBytes(sform);
    b.write('ni1\0', 344, 'latin1');
    return put('pair.nii', b);
  }, /pair\.nii: NIfTI \.hdr\/\.img pairs are not supported/],
  ['NRRD bzip2', () => put('bz.nrrd', nrrd('encoding: bzip2\n')), /bz\.nrrd: unsupported NRRD encoding "bzip2"/],
  ['NRRD truncated', () => put('cut.nrrd', nrrd('encoding: raw\n', Buffer.alloc(10))), /cut\.nrrd: truncated NRRD/],
  ['NRRD truncated gzip', () => put('cutgz.nrrd', nrrd('encoding: gzip\n', zlib.gzipSync(Buffer.alloc(24)).subarray(0, 15))), /cutgz\.nrrd: gzip data is truncated or corrupt/],
  ['NRRD 4D', () => put('4d.nrrd', Buffer.from('NRRD0004\ntype: uchar\ndimension: 4\nsizes: 2 4 3 2\nencoding: raw\n\n')), /4d\.nrrd: 4D NRRD; a 3D volume is required/],
  ['NRRD detached data', () => put('det.nrrd', nrrd('encoding: raw\ndata file: det.raw\n')), /det\.nrrd: detached NRRD data/],
  ['NRRD zero spacing', () => put('zs.nrrd', Buffer.from('NRRD0004\ntype: uchar\ndimension: 3\nsizes: 4 3 2\nspace: RAS\nspace directions: (1,0,0) (0,0,0) (0,0,1)\nencoding: raw\n\n' + '\0'.repeat(24))), /zs\.nrrd: invalid NRRD spacing along axis 1/],
  ['NRRD unknown type', () => put('ty.nrrd', Buffer.from('NRRD0004\ntype: int64\ndimension: 3\nsizes: 4 3 2\nencoding: raw\n\n')), /ty\.nrrd: unsupported NRRD type "int64"/],
  ['unknown content', () => put('mystery.bin', Buffer.alloc(400, 1)), /mystery\.bin: unknown image format/],
  ['missing file', () => path.join(dir, 'nope.nii.gz'), /ENOENT.*nope\.nii\.gz/],
];

describe('bad input gives an error naming the file and the problem', () => {
  it.each(cases)('%s', async (_name, make, message) => {
    await expect(readImage(make())).rejects.toThrow(message);
  });

  it('big-endian NIfTI reads the same values', async () => {
    const header = Buffer.from(encodeNifti1Header({ dim: [3, 2, 1, 1, 1, 1, 1, 1], datatype: 4, pixdim: [1, 1, 1, 1, 0, 0, 0, 0], voxOffset: 352, sclSlope: 0, sclInter: 0, xyztUnits: 2, qformCode: 0, sformCode: 0, quatern: [0, 0, 0], qoffset: [0, 0, 0], srow: [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]], descrip: '' }, 16));
    // Re-encode the fields read by the parser in big-endian order.
    const be = Buffer.alloc(356);
    header.copy(be);
    be.writeInt32BE(348, 0);
    [3, 2, 1, 1, 1, 1, 1, 1].forEach((v, i) => be.writeInt16BE(v, 40 + 2 * i));
    be.writeInt16BE(4, 70);
    [1, 1, 1, 1, 0, 0, 0, 0].forEach((v, i) => be.writeFloatBE(v, 76 + 4 * i));
    be.writeFloatBE(352, 108);
    be.writeFloatBE(2, 112);
    be.writeFloatBE(-5, 116);
    be.writeInt16BE(-300, 352);
    be.writeInt16BE(7, 354);
    const img = await readImage(put('be.nii', be));
    expect(Array.from(img.volume.data)).toEqual([-605, 9]);
  });

  it('an output that cannot be written leaves nothing behind', async () => {
    const out = path.join(dir, 'out');
    fs.mkdirSync(out);
    const labels = patternVolume('float32', [4, 3, 2], AFFINE_OF.identity);
    await expect(writeImage(path.join(out, 'labels.nii.gz'), labels, { dtype: 'uint8' })).rejects.toThrow(/labels\.nii\.gz: value .* does not fit in uint8/);
    await expect(writeImage(path.join(out, 'labels.mha'), labels)).rejects.toThrow(/labels\.mha: cannot tell the output format/);
    await expect(writeImage(path.join(dir, 'missing-dir', 'labels.nrrd'), labels)).rejects.toThrow(/ENOENT/);
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('replaces an existing output atomically', async () => {
    const file = path.join(dir, 'replace.nrrd');
    await writeImage(file, patternVolume('uint8', [4, 3, 2], AFFINE_OF.identity));
    const second = patternVolume('int16', [2, 2, 2], AFFINE_OF['LPS CT']);
    await writeImage(file, second);
    const back = await readImage(file, { voxels: 'stored' });
    expect(back.volume.shape).toEqual([2, 2, 2]);
    expect(fs.readdirSync(dir).filter((f) => f.includes('replace'))).toEqual(['replace.nrrd']);
  });
});
