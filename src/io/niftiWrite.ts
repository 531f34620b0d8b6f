import { AXES4, type Axis, type Mat4, type Vec4, type Volume, type VoxelArray } from '../core/volume';
import type { NiftiGeometry } from './loadedImage';
import { qformOfAffine } from './niftiAffine';
import { encodeNifti1Header, NIFTI1_DATA_OFFSET, niftiCodeOf } from './niftiHeader';
import { writePartsAtomic } from './writeBytes';
import { bytesOfVoxels, bytesPerVoxel, castVoxels, dtypeOf, type VoxelDType } from './voxelTypes';

const NIFTI_UNITS_MM = 2;
const NIFTI_XFORM_SCANNER_ANAT = 1;

export interface NiftiWriteOptions {
  /** Voxel type on disk; defaults to the volume's own. Integer types refuse values that do not fit. */
  readonly dtype?: VoxelDType;
  /** The input's stored geometry: reused verbatim when the volume is on that grid, so sform/qform stay identical. */
  readonly like?: NiftiGeometry;
  readonly gzip: boolean;
  readonly gzipLevel?: number;
}

/** Writes a single-file NIfTI-1 (.nii, or .nii.gz when `gzip`), atomically. */
export async function writeNifti(file: string, volume: Volume<VoxelArray>, options: NiftiWriteOptions): Promise<void> {
  const dtype = options.dtype ?? dtypeOf(volume.data);
  const data = castVoxels(volume.data, dtype, file);
  const geometry = options.like && sameAffine(options.like.affineRas, volume.affineRas) ? options.like : geometryOfAffine(volume.affineRas);
  const [nx, ny, nz] = volume.shape;
  const header = encodeNifti1Header(
    {
      dim: [3, nx, ny, nz, 1, 1, 1, 1],
      datatype: niftiCodeOf(dtype),
      pixdim: [...geometry.pixdim, 0, 0, 0, 0],
      voxOffset: NIFTI1_DATA_OFFSET,
      sclSlope: 1,
      sclInter: 0,
      xyztUnits: geometry.xyztUnits,
      qformCode: geometry.qformCode,
      sformCode: geometry.sformCode,
      quatern: geometry.quatern,
      qoffset: geometry.qoffset,
      srow: geometry.srow,
      descrip: 'wbct',
    },
    bytesPerVoxel(dtype) * 8,
  );
  await writePartsAtomic(file, [header, bytesOfVoxels(data)], options.gzip, options.gzipLevel);
}

function sameAffine(a: Mat4, b: Mat4): boolean {
  return AXES4.every((i) => AXES4.every((j) => a[i][j] === b[i][j]));
}

/** sform = the affine (stored as float32), qform = its nearest rotation + spacing, both marked scanner-anatomical. */
export function geometryOfAffine(affine: Mat4): NiftiGeometry {
  const q = qformOfAffine(affine);
  const row = (i: Axis): Vec4 => [affine[i][0], affine[i][1], affine[i][2], affine[i][3]];
  return {
    affineRas: affine,
    sformCode: NIFTI_XFORM_SCANNER_ANAT,
    qformCode: NIFTI_XFORM_SCANNER_ANAT,
    srow: [row(0), row(1), row(2)],
    quatern: q.quatern,
    qoffset: q.qoffset,
    pixdim: [q.qfac, ...q.spacing],
    xyztUnits: NIFTI_UNITS_MM,
  };
}
