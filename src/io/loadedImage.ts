import type { Mat4, Vec3, Vec4, Volume, VoxelArray } from '../core/volume';
import type { VoxelDType } from './voxelTypes';

export type ImageFormat = 'nifti' | 'nrrd';

/** NIfTI geometry fields exactly as stored, so that a result on the same grid gets the same sform/qform bytes. */
export interface NiftiGeometry {
  /** The affine these fields produce (what `volume.affineRas` was when read). */
  readonly affineRas: Mat4;
  readonly sformCode: number;
  readonly qformCode: number;
  readonly srow: readonly [Vec4, Vec4, Vec4];
  readonly quatern: Vec3;
  readonly qoffset: Vec3;
  /** pixdim[0..3]: qfac, then the three voxel sizes. */
  readonly pixdim: Vec4;
  readonly xyztUnits: number;
}

/** What a reader learned about the file besides the voxels and the affine. */
export interface ImageInfo {
  readonly path: string;
  readonly format: ImageFormat;
  /** Voxel type in the file, before NIfTI scl_slope/scl_inter. */
  readonly storedDType: VoxelDType;
  /** Set for NIfTI input: pass the info as `like` when writing a result on the same grid. */
  readonly niftiGeometry?: NiftiGeometry;
}

export interface LoadedImage<T extends VoxelArray = Float32Array> {
  readonly volume: Volume<T>;
  readonly info: ImageInfo;
}

/**
 * `float32` (default): voxels as MONAI's LoadImage gives them, scaled and cast to float32.
 * `stored`: the file's own voxel type (label maps stay uint8); scaled NIfTI data still comes back as float32.
 */
export type VoxelMode = 'float32' | 'stored';
