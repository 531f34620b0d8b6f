import * as path from 'node:path';
import { readImage, writeImage, VOXEL_DTYPES, type VoxelDType } from '../../src/io';
import { AFFINE_OF, AFFINES, patternVolume, sameVoxels, tempDir } from './volumeCases';

const dir = tempDir();
const SHAPE = [7, 5, 3] as const;
const EXTENSIONS = ['.nii', '.nii.gz', '.nrrd'];

const cases: Array<[string, VoxelDType, string]> = [];
for (const ext of EXTENSIONS) for (const dtype of VOXEL_DTYPES) for (const [name] of AFFINES) cases.push([ext, dtype, name]);

describe('image round trips keep voxels and geometry exactly', () => {
  it.each(cases)('%s %s %s', async (ext, dtype, affineName) => {
    const affine = AFFINES.find(([n]) => n === affineName)![1];
    const volume = patternVolume(dtype, SHAPE, affine);
    const file = path.join(dir, `${dtype}-${affineName.replace(/\s/g, '_')}${ext}`);
    await writeImage(file, volume);
    const back = await readImage(file, { voxels: 'stored' });
    expect(back.info.storedDType).toBe(dtype);
    expect(back.volume.shape).toEqual(SHAPE);
    expect(back.volume.affineRas).toEqual(affine);
    expect(sameVoxels(back.volume.data, volume.data)).toBe(true);
  });

  it('reads float32 by default, as MONAI loads images', async () => {
    const volume = patternVolume('int16', SHAPE, AFFINE_OF['LPS CT']);
    const file = path.join(dir, 'as-float.nii.gz');
    await writeImage(file, volume);
    const back = await readImage(file);
    expect(back.volume.data).toBeInstanceOf(Float32Array);
    expect(Array.from(back.volume.data)).toEqual(Array.from(volume.data));
  });

  it('NRRD keeps float64 geometry that NIfTI could not store', async () => {
    const affine = [[1 / 3, 0, 0, Math.PI], [0, -Math.SQRT2, 0, -1e-7], [0, 0, 0.1 + 0.2, 123.456789012345], [0, 0, 0, 1]] as const;
    const volume = patternVolume('uint8', SHAPE, affine);
    const file = path.join(dir, 'precise.nrrd');
    await writeImage(file, volume);
    expect((await readImage(file)).volume.affineRas).toEqual(affine);
  });

  it('writes a NIfTI result on the input grid with the input sform/qform fields unchanged', async () => {
    const input = path.join(dir, 'input.nii.gz');
    await writeImage(input, patternVolume('int16', SHAPE, AFFINE_OF.oblique));
    const loaded = await readImage(input);
    const labels = patternVolume('uint8', SHAPE, loaded.volume.affineRas);
    const out = path.join(dir, 'labels.nii.gz');
    await writeImage(out, labels, { like: loaded.info });
    const back = await readImage(out, { voxels: 'stored' });
    expect(back.info.niftiGeometry).toEqual(loaded.info.niftiGeometry);
    expect(back.volume.data).toBeInstanceOf(Uint8Array);
  });

  it('converts the voxel type on write when asked, refusing values that do not fit', async () => {
    const labels = patternVolume('float32', SHAPE, AFFINE_OF.identity);
    labels.data.forEach((_, i) => (labels.data[i] = i % 105));
    const file = path.join(dir, 'labels-u8.nrrd');
    await writeImage(file, labels, { dtype: 'uint8' });
    const back = await readImage(file, { voxels: 'stored' });
    expect(back.volume.data).toBeInstanceOf(Uint8Array);
    expect(Array.from(back.volume.data)).toEqual(Array.from(labels.data));
    labels.data[3] = 300;
    await expect(writeImage(path.join(dir, 'bad.nrrd'), labels, { dtype: 'uint8' })).rejects.toThrow(/300 .* does not fit in uint8/);
  });
});
