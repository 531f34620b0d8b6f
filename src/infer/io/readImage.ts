import type { VoxelArray } from '../volume';
import { formatOfPath, sniffFormat } from './imageFormat';
import type { LoadedImage, VoxelMode } from './loadedImage';
import { readNifti } from './niftiRead';
import { readNrrd } from './nrrdRead';

/**
 * Reads a 3D image (.nii, .nii.gz or .nrrd; other names are recognised by content). By default the voxels come back
 * as MONAI's LoadImage gives them: float32, NIfTI scaling applied. `{ voxels: 'stored' }` keeps the file's type.
 */
export function readImage(file: string): Promise<LoadedImage<Float32Array>>;
export function readImage(file: string, options: { voxels: 'float32' }): Promise<LoadedImage<Float32Array>>;
export function readImage(file: string, options: { voxels: VoxelMode }): Promise<LoadedImage<VoxelArray>>;
export async function readImage(file: string, options: { voxels: VoxelMode } = { voxels: 'float32' }): Promise<LoadedImage<VoxelArray>> {
  const { format } = formatOfPath(file) ?? (await sniffFormat(file));
  return format === 'nrrd' ? readNrrd(file, options.voxels) : readNifti(file, options.voxels);
}
