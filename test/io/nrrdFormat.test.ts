import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { readImage, writeImage } from '../../src/io';
import { makeVolume } from '../../src/core/volume';
import { tempDir } from './volumeCases';

const dir = tempDir();

describe('NRRD as 3D Slicer writes and reads it', () => {
  it('writes the header ITK writes: LPS space, directions per axis, gzip data', async () => {
    const affine = [[-0.9570311903953552, 0, 0, 0], [0, -0.9570311903953552, 0, 0], [0, 0, 1.5, -20], [0, 0, 0, 1]] as const;
    const file = path.join(dir, 'labels.nrrd');
    await writeImage(file, makeVolume(new Uint8Array([0, 1, 2, 3, 4, 5]), [3, 2, 1], affine));
    const bytes = fs.readFileSync(file);
    const end = bytes.indexOf('\n\n') + 2;
    expect(bytes.subarray(0, end).toString('latin1')).toBe(
      [
        'NRRD0004',
        '# Complete NRRD file format specification at:',
        '# http://teem.sourceforge.net/nrrd/format.html',
        'type: unsigned char',
        'dimension: 3',
        'space: left-posterior-superior',
        'sizes: 3 2 1',
        'space directions: (0.9570311903953552,0,0) (0,0.9570311903953552,0) (0,0,1.5)',
        'kinds: domain domain domain',
        'endian: little',
        'encoding: gzip',
        'space origin: (0,0,-20)',
        '',
        '',
      ].join('\n'),
    );
    expect(Array.from(zlib.gunzipSync(bytes.subarray(end)))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('reads a RAS-space file with comments, key/value pairs, CRLF lines and big-endian shorts', async () => {
    const header = [
      'NRRD0005',
      '# written by hand',
      'type: short',
      'dimension: 3',
      'space: right-anterior-superior',
      'sizes: 2 1 1',
      'space directions: (0, 2, 0) ( 1.5 ,0,0) (0,0,-3)',
      'kinds: domain domain domain',
      'space units: "mm" "mm" "mm"',
      'endian: big',
      'encoding: raw',
      'space origin: (10,-20,30)',
      'Segment0_Name:=liver',
      '',
      '',
    ].join('\r\n');
    const data = Buffer.alloc(4);
    data.writeInt16BE(-1024, 0);
    data.writeInt16BE(77, 2);
    const file = path.join(dir, 'ras.nrrd');
    fs.writeFileSync(file, Buffer.concat([Buffer.from(header, 'latin1'), data]));
    const img = await readImage(file);
    expect(Array.from(img.volume.data)).toEqual([-1024, 77]);
    expect(img.volume.affineRas).toEqual([[0, 1.5, 0, 10], [2, 0, 0, -20], [0, 0, -3, 30], [0, 0, 0, 1]]);
  });

  it('honours byte skip -1 (data at the end of the file)', async () => {
    const file = path.join(dir, 'skip.nrrd');
    const header = 'NRRD0004\ntype: uint8\ndimension: 3\nsizes: 2 1 1\nspacings: 1 2 3\nencoding: raw\nbyte skip: -1\n\n';
    fs.writeFileSync(file, Buffer.concat([Buffer.from(header), Buffer.from([9, 9, 9, 5, 6])]));
    const img = await readImage(file, { voxels: 'stored' });
    expect(Array.from(img.volume.data)).toEqual([5, 6]);
    // Spacings-only NRRD: an axis-aligned LPS grid at the origin, as ITK reads it.
    expect(img.volume.affineRas).toEqual([[-1, 0, 0, 0], [0, -2, 0, 0], [0, 0, 3, 0], [0, 0, 0, 1]]);
  });
});
