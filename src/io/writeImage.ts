import type { Volume, VoxelArray } from '../core/volume';
import { formatOfPath, SUPPORTED_EXTENSIONS } from './imageFormat';
import type { ImageInfo } from './loadedImage';
import { writeNifti } from './niftiWrite';
import { writeNrrd } from './nrrdWrite';
import type { VoxelDType } from './voxelTypes';

export interface WriteImageOptions {
  /** Voxel type on disk (default: the volume's). Integer types refuse values that do not fit. */
  readonly dtype?: VoxelDType;
  /** The input image's info: a NIfTI output on the input's grid then keeps its sform/qform fields byte for byte. */
  readonly like?: ImageInfo;
  readonly gzipLevel?: number;
}

/** Writes a volume atomically, in the format its extension names (.nii, .nii.gz, .nrrd). */
export async function writeImage(file: string, volume: Volume<VoxelArray>, options: WriteImageOptions = {}): Promise<void> {
  const target = formatOfPath(file);
  if (!target) throw new Error(`${file}: cannot tell the output format; use one of ${SUPPORTED_EXTENSIONS.join(', ')}`);
  const common = { dtype: options.dtype, gzipLevel: options.gzipLevel };
  if (target.format === 'nrrd') return writeNrrd(file, volume, common);
  return writeNifti(file, volume, { ...common, gzip: target.gzip, like: options.like?.niftiGeometry });
}
