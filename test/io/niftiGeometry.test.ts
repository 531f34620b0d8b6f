import * as fs from 'node:fs';
import * as path from 'node:path';
import { readImage } from '../../src/io';
import type { Nifti1Header } from '../../src/io/niftiHeader';
import { geometryOfAffine } from '../../src/io/niftiWrite';
import type { Mat4 } from '../../src/core/volume';
import { maxAbsDiffRows } from '../helpers/oracle';
import { niftiBytes } from './niftiBytes';
import { AFFINES, tempDir } from './volumeCases';

const dir = tempDir();

async function affineOf(fields: Partial<Omit<Nifti1Header, 'littleEndian'>>): Promise<Mat4> {
  const file = path.join(dir, `h${Math.random().toString(36).slice(2)}.nii`);
  fs.writeFileSync(file, niftiBytes(fields));
  return (await readImage(file)).volume.affineRas;
}

function expectClose(a: Mat4, b: Mat4, tol: number): void {
  expect(maxAbsDiffRows(a, b)).toBeLessThanOrEqual(tol);
}

describe('NIfTI geometry follows nibabel (sform, else qform, else pixdim)', () => {
  it('uses the sform when sform_code > 0, even if a qform is present', async () => {
    const a = await affineOf({ sformCode: 2, srow: [[2, 0, 0, 5], [0, 3, 0, 6], [0, 0, 4, 7]], qformCode: 1, pixdim: [1, 9, 9, 9, 0, 0, 0, 0] });
    expect(a).toEqual([[2, 0, 0, 5], [0, 3, 0, 6], [0, 0, 4, 7], [0, 0, 0, 1]]);
  });

  it('builds the qform from quaternion, pixdim and qfac', async () => {
    // 90 degrees about z: (b, c, d) = (0, 0, sin 45); qfac -1 flips the third column.
    const a = await affineOf({ qformCode: 1, quatern: [0, 0, Math.SQRT1_2], qoffset: [10, 20, 30], pixdim: [-1, 0.5, 2, 3, 0, 0, 0, 0] });
    expectClose(a, [[0, -2, 0, 10], [0.5, 0, 0, 20], [0, 0, -3, 30], [0, 0, 0, 1]], 1e-6);
  });

  it('falls back to nibabel base affine (x flipped, centred) without codes', async () => {
    const a = await affineOf({ pixdim: [1, 2, 3, 4, 0, 0, 0, 0] });
    expect(a).toEqual([[-2, 0, 0, 3], [0, 3, 0, -3], [0, 0, 4, -2], [0, 0, 0, 1]]);
  });

  it.each(AFFINES.filter(([n]) => n !== 'oblique'))('the qform written for %s reads back as the same affine', async (_name, affine) => {
    const g = geometryOfAffine(affine);
    const a = await affineOf({ qformCode: 1, quatern: g.quatern, qoffset: g.qoffset, pixdim: [...g.pixdim, 0, 0, 0, 0] });
    expectClose(a, affine, 2e-5);
  });
});
