import { DEFAULT_LIMITS, LimitExceededError, type ResourceLimits } from '../core/resourceLimits';
import type { Vec3 } from '../core/volume';

/** What a reader enforces before it allocates: the declared voxel count and the bytes the data inflates to. */
export type ReadLimits = Pick<ResourceLimits, 'maxInputVoxels' | 'maxDecompressedBytes'>;

export const DEFAULT_READ_LIMITS: ReadLimits = DEFAULT_LIMITS;

/**
 * Writers pad or append a little (NIfTI extensions go before vox_offset, but some tools leave bytes after the data);
 * more than this after the declared voxels is not an image of that header, and would be stored for nothing.
 */
export const TRAILING_BYTES_ALLOWED = 64 * 1024;

/** Refuses a header whose volume exceeds the limits, before any voxel is read or inflated. */
export function checkDeclaredSize(file: string, shape: Vec3, dataBytes: number, totalBytes: number, limits: ReadLimits): void {
  const voxels = shape[0] * shape[1] * shape[2];
  if (voxels > limits.maxInputVoxels) throw new LimitExceededError('maxInputVoxels', limits.maxInputVoxels, `${file}: a ${shape.join(' x ')} volume (${voxels} voxels)`);
  if (totalBytes > limits.maxDecompressedBytes) {
    throw new LimitExceededError('maxDecompressedBytes', limits.maxDecompressedBytes, `${file}: ${totalBytes} bytes (${dataBytes} of voxel data after a ${totalBytes - dataBytes}-byte offset)`);
  }
}

/** Refuses a file (or its inflated data) holding far more bytes than its header's volume. */
export function checkTrailingBytes(file: string, actual: number, needed: number): void {
  if (actual > needed + TRAILING_BYTES_ALLOWED) {
    throw new Error(`${file}: ${actual - needed} bytes follow the voxel data its header declares (${needed} bytes); not an image of that header`);
  }
}
