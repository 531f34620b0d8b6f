import { makeVolume, type Volume, type VoxelArray } from '../core/volume';
import { formatOfPath, sniffFormat } from './imageFormat';
import { niftiBytes, niftiScaling, storedNiftiVoxels } from './niftiRead';
import { readNrrd } from './nrrdRead';
import { DEFAULT_READ_LIMITS, type ReadLimits } from './readLimits';

/** value = stored x slope + inter. */
export interface LinearScaling {
  readonly slope: number;
  readonly inter: number;
}

/**
 * An image's voxels in the type the file stores them, with the map to their values kept apart: a single pass can
 * apply it voxel by voxel instead of holding a full-size float copy (an int16 CT is half the bytes of its float32).
 */
export interface StoredImage {
  readonly volume: Volume<VoxelArray>;
  /** Absent when the stored values are the values (no NIfTI scl_slope / scl_inter; NRRD has no scaling). */
  readonly scaling?: LinearScaling;
}

/** Reads a .nii, .nii.gz or .nrrd image as stored, within the same limits and checks as `readImage`. */
export async function readStoredImage(file: string, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<StoredImage> {
  const { format } = formatOfPath(file) ?? (await sniffFormat(file));
  if (format === 'nrrd') return { volume: (await readNrrd(file, 'stored', limits)).volume };
  const { bytes, layout } = await niftiBytes(file, limits);
  const scaling = niftiScaling(layout.header, file);
  return { volume: makeVolume(storedNiftiVoxels(bytes, layout, file), layout.shape, layout.affineRas), ...(scaling && { scaling }) };
}
