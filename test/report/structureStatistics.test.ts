import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeVolume, type Mat4, type Vec3 } from '../../src/core/volume';
import { readImage, writeImage } from '../../src/io';
import { readStoredImage } from '../../src/io/readStoredImage';
import { structureStatistics } from '../../src/report/structureStatistics';
import { writeScaledInt16Nifti } from '../helpers/scaledNifti';

/**
 * A 5 x 4 x 3 grid, spacing 0.7 x 1.3 x 2.5 mm, rotated 30 degrees about z, origin (10, -20, 30):
 * world = R(30) diag(0.7, 1.3, 2.5) index + t, with c = cos 30 = 0.8660254, s = sin 30 = 0.5.
 * Voxel volume |det| = 0.7 x 1.3 x 2.5 = 2.275 mm^3.
 */
const C = Math.cos(Math.PI / 6);
const S = Math.sin(Math.PI / 6);
const AFFINE: Mat4 = [
  [0.7 * C, -1.3 * S, 0, 10],
  [0.7 * S, 1.3 * C, 0, -20],
  [0, 0, 2.5, 30],
  [0, 0, 0, 1],
];
const SHAPE: Vec3 = [5, 4, 3];
const at = (i: number, j: number, k: number) => i + 5 * (j + 4 * k);

/** HU = 2 x stored - 1000 (scl_slope 2, scl_inter -1000); background voxels are stored as 100 (-800 HU). */
const SLOPE = 2;
const INTER = -1000;
const storedOf = (hu: number) => (hu - INTER) / SLOPE;

/** label value, voxel, HU. Label 3 is named but absent; label 5 has no name. */
const VOXELS: ReadonlyArray<[number, Vec3, number]> = [
  // liver: inside the scan (no index 0 or n-1 on any axis)
  [1, [1, 1, 1], 40],
  [1, [2, 1, 1], 60],
  [1, [3, 2, 1], 120],
  // spleen: at i = 0; its first voxel in file order (k = 1) has j = 2, the later one (k = 2) j = 1
  [2, [1, 2, 1], -200],
  [2, [0, 1, 2], -100],
  // unnamed: at j = 3 = ny - 1 and k = 0
  [5, [2, 3, 0], -1000],
];
const NAMES = { '0': 'background', '1': 'liver', '2': 'spleen', '3': 'gallbladder' };

function synthetic() {
  const labels = new Uint8Array(60);
  const ct = new Int16Array(60).fill(storedOf(-800));
  for (const [label, [i, j, k], hu] of VOXELS) {
    labels[at(i, j, k)] = label;
    ct[at(i, j, k)] = storedOf(hu);
  }
  return { labels: makeVolume(labels, SHAPE, AFFINE), ct: makeVolume(ct, SHAPE, AFFINE) };
}

/**
 * By hand:
 * liver: HU 40, 60, 120 -> mean 220/3 = 73.3333; variance (40^2 + 60^2 + 120^2)/3 - (220/3)^2 = 10400/9, std 33.9935;
 *   volume 3 x 2.275 = 6.825; mean index (2, 4/3, 1) -> x = 0.7c*2 - 1.3s*4/3 + 10 = 10.3458,
 *   y = 0.7s*2 + 1.3c*4/3 - 20 = -17.7989, z = 2.5 + 30 = 32.5.
 * spleen: HU -200, -100 -> mean -150, std 50; volume 4.55; bbox i 0..1, j 1..2, k 1..2; mean index (0.5, 1.5, 1.5)
 *   -> x = 0.35c - 1.95s + 10 = 9.3281, y = 0.35s + 1.95c - 20 = -18.1363, z = 3.75 + 30 = 33.75.
 * label_5: one voxel of -1000 HU at (2, 3, 0) -> x = 1.4c - 3.9s + 10 = 9.2624, y = 1.4s + 3.9c - 20 = -15.9225, z = 30.
 */
const EXPECTED = {
  liver: {
    label: 1,
    voxels: 3,
    volume: 6.825,
    intensity: 73.3333,
    intensity_std: 33.9935,
    intensity_min: 40,
    intensity_max: 120,
    bbox: [
      [1, 1, 1],
      [3, 2, 1],
    ],
    centroid: [10.3458, -17.7989, 32.5],
    incomplete: false,
  },
  spleen: {
    label: 2,
    voxels: 2,
    volume: 4.55,
    intensity: -150,
    intensity_std: 50,
    intensity_min: -200,
    intensity_max: -100,
    bbox: [
      [0, 1, 1],
      [1, 2, 2],
    ],
    centroid: [9.3281, -18.1363, 33.75],
    incomplete: true,
  },
  label_5: {
    label: 5,
    voxels: 1,
    volume: 2.275,
    intensity: -1000,
    intensity_std: 0,
    intensity_min: -1000,
    intensity_max: -1000,
    bbox: [
      [2, 3, 0],
      [2, 3, 0],
    ],
    centroid: [9.2624, -15.9225, 30],
    incomplete: true,
  },
};

describe('structureStatistics', () => {
  test('hand-computed volumes, intensities, bbox, RAS centroid and border flags on a rotated anisotropic grid', () => {
    const { labels, ct } = synthetic();
    const report = structureStatistics(labels, { volume: ct, scaling: { slope: SLOPE, inter: INTER } }, NAMES);
    expect(report).toEqual(EXPECTED);
    expect(Object.keys(report)).toEqual(['liver', 'spleen', 'label_5']); // label order; the absent gallbladder is not listed
    expect(JSON.parse(JSON.stringify(report))).toEqual(EXPECTED);
  });

  test('a stored int16 NIfTI with scl_slope / scl_inter is read as int16 and scaled in the pass', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-stats-'));
    try {
      const { labels, ct } = synthetic();
      const file = path.join(dir, 'ct.nii.gz');
      await writeScaledInt16Nifti(file, ct, SLOPE, INTER);
      const stored = await readStoredImage(file);
      expect(stored.volume.data).toBeInstanceOf(Int16Array);
      expect(stored.volume.data).toEqual(ct.data);
      expect(stored.scaling).toEqual({ slope: SLOPE, inter: INTER });
      // The file's affine is the float32 sform; on it the HU are the ones readImage gives (scaled to float32).
      const onFileGrid = makeVolume(labels.data, SHAPE, stored.volume.affineRas);
      const report = structureStatistics(onFileGrid, stored, NAMES);
      expect(report).toEqual(structureStatistics(onFileGrid, { volume: (await readImage(file)).volume }, NAMES));
      expect(report.liver).toMatchObject({ intensity: 73.3333, intensity_std: 33.9935, intensity_min: 40, intensity_max: 120, volume: 6.825 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an unscaled file reads back without a scaling', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-stats-'));
    try {
      const file = path.join(dir, 'ct.nrrd');
      const { ct } = synthetic();
      await writeImage(file, ct);
      const stored = await readStoredImage(file);
      expect(stored.scaling).toBeUndefined();
      expect(stored.volume.data).toBeInstanceOf(Int16Array);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the std stays exact far from zero (values 1e9 + 0, 1, 2: std sqrt(2/3))', () => {
    const labels = makeVolume(new Uint8Array([0, 1, 1, 1, 0]), [5, 1, 1], AFFINE);
    const ct = makeVolume(new Float64Array([0, 1e9, 1e9 + 1, 1e9 + 2, 0]), [5, 1, 1], AFFINE);
    const { thing } = structureStatistics(labels, { volume: ct }, { '1': 'thing' });
    expect(thing).toMatchObject({ intensity: 1e9 + 1, intensity_std: 0.8165, voxels: 3 });
  });

  test('an empty label map gives an empty report; labels off the CT grid and non-integer labels are refused', () => {
    const { ct } = synthetic();
    expect(structureStatistics(makeVolume(new Uint8Array(60), SHAPE, AFFINE), { volume: ct }, NAMES)).toEqual({});
    const shifted: Mat4 = [AFFINE[0], AFFINE[1], [0, 0, 2.5, 31], AFFINE[3]];
    expect(() => structureStatistics(makeVolume(new Uint8Array(60), SHAPE, shifted), { volume: ct }, NAMES)).toThrow(/not on the CT's grid.*origin/);
    const fractional = new Float32Array(60);
    fractional[7] = 1.5;
    expect(() => structureStatistics(makeVolume(fractional, SHAPE, AFFINE), { volume: ct }, NAMES)).toThrow(/label value 1.5 at voxel \(2, 1, 0\)/);
  });

  test('label values above 255 (a float32 label map) get their own accumulators', () => {
    const labels = new Float32Array(60);
    labels[at(1, 1, 1)] = 300;
    const { ct } = synthetic();
    const report = structureStatistics(makeVolume(labels, SHAPE, AFFINE), { volume: ct, scaling: { slope: SLOPE, inter: INTER } }, { '300': 'big' });
    expect(report.big).toMatchObject({ label: 300, voxels: 1, intensity: 40, incomplete: false });
  });
});
