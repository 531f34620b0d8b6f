import type { VoxelArray } from '../core/volume';
import { formatOfPath, sniffFormat } from './imageFormat';
import type { LoadedImage, VoxelMode } from './loadedImage';
import { readNifti } from './niftiRead';
import { readNrrd } from './nrrdRead';
import type { ReadLimits } from './readLimits';

/**
 * Reads a 3D image (.nii, .nii.gz or .nrrd; other names are recognised by content). By default the voxels come back
 * as MONAI's LoadImage gives them: float32, NIfTI scaling applied. `{ voxels: 'stored' }` keeps the file's type.
 */
export interface ReadImageOptions {
  readonly voxels: VoxelMode;
  /** Default DEFAULT_READ_LIMITS: nothing is read or inflated past them. */
  readonly limits?: ReadLimits;
}

export function readImage(file: string): Promise<LoadedImage<Float32Array>>;
export function readImage(file: string, options: { voxels: 'float32'; limits?: ReadLimits }): Promise<LoadedImage<Float32Array>>;
export function readImage(file: string, options: ReadImageOptions): Promise<LoadedImage<VoxelArray>>;
export async function readImage(file: string, options: ReadImageOptions = { voxels: 'float32' }): Promise<LoadedImage<VoxelArray>> {
  const { format } = formatOfPath(file) ?? (await sniffFormat(file));
  return format === 'nrrd' ? readNrrd(file, options.voxels, options.limits) : readNifti(file, options.voxels, options.limits);
}
