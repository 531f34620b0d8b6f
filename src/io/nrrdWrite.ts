import { flipRasLps, type Axis4, type Vec3, type Volume, type VoxelArray } from '../core/volume';
import { gzipBytes } from './gzip';
import { formatNrrdHeader } from './nrrdHeader';
import { writePartsAtomic } from './writeBytes';
import { bytesOfVoxels, castVoxels, dtypeOf, type VoxelDType } from './voxelTypes';

export interface NrrdWriteOptions {
  readonly dtype?: VoxelDType;
  /** Default true: gzip encoding, as Slicer saves. */
  readonly gzip?: boolean;
  readonly gzipLevel?: number;
}

/** Writes a 3D NRRD in ITK's layout (LPS space, attached data), atomically. */
export async function writeNrrd(file: string, volume: Volume<VoxelArray>, options: NrrdWriteOptions = {}): Promise<void> {
  const dtype = options.dtype ?? dtypeOf(volume.data);
  const data = castVoxels(volume.data, dtype, file);
  const lps = flipRasLps(volume.affineRas);
  const column = (c: Axis4): Vec3 => [lps[0][c], lps[1][c], lps[2][c]];
  const gzip = options.gzip ?? true;
  const header = formatNrrdHeader(dtype, volume.shape, [column(0), column(1), column(2)], column(3), gzip);
  const headerBytes = Buffer.from(header, 'latin1');
  if (!gzip) return writePartsAtomic(file, [headerBytes, bytesOfVoxels(data)], false);
  // Only the data is compressed: the header stays plain text.
  const compressed = await gzipBytes(bytesOfVoxels(data), options.gzipLevel);
  return writePartsAtomic(file, [headerBytes, compressed], false);
}
