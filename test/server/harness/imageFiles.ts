import * as fs from 'node:fs';
import * as path from 'node:path';
import { readImage, writeImage } from '../../../src/io';
import { makeVolume, type Mat4, type Vec3, type Volume, type VoxelArray } from '../../../src/core/volume';
import type { VolumeReader } from '../../../src/core/volumeReader';

/** The project's image reader (as `wbct serve` wires it), voxels in their stored type (label maps stay integers). */
export const readVolumeFile: VolumeReader = async (file) => (await readImage(file, { voxels: 'stored' })).volume;

/** Writes .nii, .nii.gz or .nrrd by extension, creating the folder. */
export async function writeVolumeFile(file: string, volume: Volume<VoxelArray>): Promise<void> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true });
  await writeImage(file, volume);
}

/** The cranium fixture's frame: LPS-stored diagonal spacing, so RAS flips two axes. */
export const TEST_AFFINE: Mat4 = [
  [-0.9570312, 0, 0, 12.5],
  [0, -0.9570312, 0, -30.25],
  [0, 0, 1.5, 7],
  [0, 0, 0, 1],
];

export function testImage(shape: Vec3 = [12, 10, 8], affine: Mat4 = TEST_AFFINE): Volume<Int16Array> {
  const [nx, ny, nz] = shape;
  const data = new Int16Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data[i + nx * (j + ny * k)] = (i * 37 + j * 11 + k * 5) % 400 - 100;
  return makeVolume(data, shape, affine);
}

/** A label map on `grid` with value f(i, j, k). */
export function testLabel(grid: Volume<VoxelArray>, value: (i: number, j: number, k: number) => number): Volume<Uint8Array> {
  const [nx, ny, nz] = grid.shape;
  const data = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data[i + nx * (j + ny * k)] = value(i, j, k);
  return makeVolume(data, grid.shape, grid.affineRas);
}
