import * as fs from 'node:fs';
import * as path from 'node:path';
import { readImage } from '../../src/io';
import { nearestOffsets } from '../../src/transforms/nearest';
import { samplingGrid } from '../../src/transforms/samplingGrid';
import { planInverse } from '../../src/transforms/spacingGeometry';
import { FIXTURES_DIR, describeWithOracle, oracleFile } from '../helpers/oracle';
import { preprocessWholeBody } from '../../src/apps/totalseg/bundleRecipe';

/**
 * Which resampled voxel the inverse copies into each input voxel, per RAS axis, against PyTorch 1.13's own
 * affine_grid + grid_sample(nearest) on MONAI's matrices (test/fixtures/transforms/make_inverse_tables.py). At 3 mm
 * every other 1.5 mm slice sits exactly half-way between two resampled slices, so this pins the tie rule and the
 * last bits of the sampling grid.
 */
describeWithOracle('nearest-neighbour inverse vs PyTorch grid_sample on the real CT', () => {
  const expected = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'transforms', 'inverse_tables_cranium.json'), 'utf8')) as Record<string, number[][]>;

  test.each([
    ['1.5mm', 1.5],
    ['3.0mm', 3],
  ])('%s: every axis picks the same resampled index as torch', async (name, mm) => {
    const ct = (await readImage(oracleFile('cranium_ct.nii.gz'))).volume;
    const back = planInverse(preprocessWholeBody(ct, mm).inverse.spacing);
    const offsets = nearestOffsets(samplingGrid(back.xform, back.inShape, back.outShape))!;
    const stride = [1, back.inShape[0], back.inShape[0] * back.inShape[1]];
    expect(offsets).toHaveLength(stride.length);
    const ours = offsets.map((axis, a) => Array.from(axis, (o) => o / stride[a]!)); // one table per axis, checked above
    expect(ours).toEqual(expected[name]);
  });
});
