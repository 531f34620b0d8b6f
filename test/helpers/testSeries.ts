import * as path from 'node:path';
import { makeVolume, mulMat4, type LabelVolume, type Mat4, type Vec3, type Volume } from '../../src/core/volume';
import { writeCtSeries, type WrittenCtSeries } from './writeCtSeries';
import { readImage } from '../../src/io';

/** Test-series variants: the oracle CT as stored, and with its voxel axes reversed (same anatomy, same world place). */
export type SeriesVariant = 'axial' | 'flipped-rows-columns' | 'reversed-slices';

const FLIPS: Record<SeriesVariant, readonly [boolean, boolean, boolean]> = {
  axial: [false, false, false],
  'flipped-rows-columns': [true, true, false],
  'reversed-slices': [false, false, true],
};

/**
 * Reverses the chosen index axes while keeping every voxel at the same world position: the data moves and the
 * affine compensates (index n-1-i maps to where i was).
 */
export function reverseAxes<T extends Volume<Float32Array> | LabelVolume>(v: T, flips: readonly [boolean, boolean, boolean]): T {
  const [nx, ny, nz] = v.shape;
  const out = new (v.data.constructor as { new (n: number): T['data'] })(v.data.length);
  for (let k = 0; k < nz; k++) {
    const sk = flips[2] ? nz - 1 - k : k;
    for (let j = 0; j < ny; j++) {
      const sj = flips[1] ? ny - 1 - j : j;
      for (let i = 0; i < nx; i++) out[i + nx * (j + ny * k)] = v.data[(flips[0] ? nx - 1 - i : i) + nx * (sj + ny * sk)]!; // inside the shape
    }
  }
  const d = (flip: boolean, n: number): [number, number] => (flip ? [-1, n - 1] : [1, 0]);
  const [fx, fy, fz] = [d(flips[0], nx), d(flips[1], ny), d(flips[2], nz)];
  const index: Mat4 = [[fx[0], 0, 0, fx[1]], [0, fy[0], 0, fy[1]], [0, 0, fz[0], fz[1]], [0, 0, 0, 1]];
  return makeVolume(out, v.shape, mulMat4(v.affineRas, index)) as T;
}

/** A box of the volume starting at voxel `lo` (the affine moves with it). */
export function cropVolume(v: Volume<Float32Array>, lo: Vec3, size: Vec3): Volume<Float32Array> {
  const [nx, ny] = v.shape;
  const out = new Float32Array(size[0] * size[1] * size[2]);
  for (let k = 0; k < size[2]; k++)
    for (let j = 0; j < size[1]; j++)
      for (let i = 0; i < size[0]; i++) out[i + size[0] * (j + size[1] * k)] = v.data[lo[0] + i + nx * (lo[1] + j + ny * (lo[2] + k))] ?? NaN; // NaN: the box leaves the volume
  const shift: Mat4 = [[1, 0, 0, lo[0]], [0, 1, 0, lo[1]], [0, 0, 1, lo[2]], [0, 0, 0, 1]];
  return makeVolume(out, size, mulMat4(v.affineRas, shift));
}

/** The test label map: bone (HU > 300) = 1, soft tissue (-100 < HU <= 300) = 5, all else 0. */
export function thresholdLabels(ct: Volume<Float32Array>): LabelVolume {
  const out = Uint8Array.from(ct.data, (hu) => (hu > 300 ? 1 : hu > -100 ? 5 : 0));
  return makeVolume(out, ct.shape, ct.affineRas);
}

/** The oracle head CT (int16 HU in the file) as float32 HU, read by the project's NIfTI reader. */
export async function craniumCt(oracleDir: string): Promise<Volume<Float32Array>> {
  return (await readImage(path.join(oracleDir, 'cranium_ct.nii.gz'))).volume;
}

/** Writes the oracle cranium CT (optionally cropped) as a DICOM CT series in the given variant. */
export function writeTestSeries(
  ct: Volume<Float32Array>,
  variant: SeriesVariant,
  outDir: string,
): { written: WrittenCtSeries; volume: Volume<Float32Array> } {
  const volume = reverseAxes(ct, FLIPS[variant]);
  return { written: writeCtSeries(volume, outDir, { seriesDescription: `cranium ${variant}`, patientName: 'Cranium^Test' }), volume };
}
