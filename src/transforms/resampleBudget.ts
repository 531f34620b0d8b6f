import { LimitExceededError, type ResourceLimits } from '../core/resourceLimits';
import { AXES, type Mat4, type Vec3 } from '../core/volume';
import { columnNorms3, mat3 } from '../core/matrix3';
import { planSpacing } from './spacingGeometry';

export type ResampleLimits = Pick<ResourceLimits, 'maxExtentMm' | 'maxResampledVoxels' | 'maxUpsampling'>;

/**
 * Refuses, from the grid alone, a volume whose resampling to `spacingMm` would cost more than the limits allow:
 * its extent along an axis, the resampled voxel count (what the sliding window's time and memory follow) and the
 * growth from input to resampled voxels (an 80-byte file with 300 mm voxels asks for 64 million). `file` names it.
 * Returns the resampled shape.
 */
export function checkResampleBudget(file: string, shape: Vec3, affineRas: Mat4, spacingMm: number, limits: ResampleLimits): Vec3 {
  const spacing = columnNorms3(mat3(affineRas));
  for (const a of AXES) {
    const extent = shape[a] * spacing[a];
    if (!(Number.isFinite(extent) && spacing[a] > 0)) throw new Error(`${file}: invalid voxel spacing ${spacing[a]} along axis ${a}`);
    if (extent > limits.maxExtentMm) {
      throw new LimitExceededError('maxExtentMm', limits.maxExtentMm, `${file}: extent ${extent.toFixed(1)} mm along axis ${a} (${shape[a]} voxels of ${spacing[a].toPrecision(4)} mm)`);
    }
  }
  const out = planSpacing(shape, affineRas, [spacingMm, spacingMm, spacingMm]).outShape;
  const resampled = out[0] * out[1] * out[2];
  if (!Number.isFinite(resampled)) throw new Error(`${file}: its grid cannot be resampled to ${spacingMm} mm`);
  if (resampled > limits.maxResampledVoxels) {
    throw new LimitExceededError('maxResampledVoxels', limits.maxResampledVoxels, `${file}: resampled to ${spacingMm} mm it is ${out.join(' x ')} = ${resampled} voxels`);
  }
  const input = shape[0] * shape[1] * shape[2];
  if (resampled > input * limits.maxUpsampling) {
    throw new LimitExceededError('maxUpsampling', limits.maxUpsampling, `${file}: resampling ${input} voxels to ${spacingMm} mm gives ${resampled} (${(resampled / input).toFixed(0)}x)`);
  }
  return out;
}
