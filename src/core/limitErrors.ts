import type { LimitExceededError } from './resourceLimits';
import { ApiError } from './errors';

/**
 * A resource limit's refusal as the catalogue's answer: too many bytes or voxels in an image is 413, a geometry
 * that asks for too much work is 422, per-client and queue limits are 429. The message names the limit and its flag.
 */
export function apiErrorOfLimit(e: LimitExceededError): ApiError {
  switch (e.limit) {
    case 'maxUploadBytes':
      return new ApiError('UPLOAD_TOO_LARGE', e.message);
    case 'maxDecompressedBytes':
    case 'maxInputVoxels':
      return new ApiError('IMAGE_TOO_LARGE', e.message);
    case 'maxQueuedInfers':
      return new ApiError('QUEUE_FULL', e.message);
    case 'maxRequestsPerClient':
      return new ApiError('TOO_MANY_REQUESTS', e.message);
    default:
      return new ApiError('LIMIT_EXCEEDED', e.message);
  }
}
