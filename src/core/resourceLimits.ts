/**
 * The server's resource limits: every expensive step is refused before it starts when its input exceeds one of
 * these. Each limit has a `wbct serve` flag; the error a refusal raises names the limit and the flag.
 */
export interface ResourceLimits {
  /** Bytes of one uploaded file, as sent (compressed). */
  readonly maxUploadBytes: number;
  /** Bytes an image file may inflate to (gzip output), and bytes of image data read from one file. */
  readonly maxDecompressedBytes: number;
  /** Voxels of one input volume, as its header declares them (checked before the data is read). */
  readonly maxInputVoxels: number;
  /** Physical extent of a volume along each of its axes, in mm (voxels x spacing). */
  readonly maxExtentMm: number;
  /** Voxels of the volume resampled to the model's working spacing, per request. */
  readonly maxResampledVoxels: number;
  /** Resampled voxels per input voxel: tiny files with huge voxels must not buy minutes of CPU. */
  readonly maxUpsampling: number;
  /** Infer requests waiting behind the running one; more answer 429. */
  readonly maxQueuedInfers: number;
  /** Infer requests (queued or running) one client (user, or address when auth is off) may have at once. */
  readonly maxRequestsPerClient: number;
}

const MiB = 1024 * 1024;

/**
 * Defaults sized for whole-body CT: 512 x 512 x 1024 input voxels (1 GiB as float32), 2 m along an axis, a 1.5 mm
 * whole-body grid (333 x 333 x 1333 = 148 M voxels) within the resampled cap. A 5 mm-slice scan resampled to
 * 1.5 mm grows about 1x; 64x is far beyond any CT and far below what an 80-byte file with 300 mm voxels asks for.
 * One client may hold 3 of the 5 places of the default queue (1 running + 4 waiting); with auth off a client is
 * its address, so several Slicer users behind one address share that.
 */
export const DEFAULT_LIMITS: ResourceLimits = {
  maxUploadBytes: 2048 * MiB,
  maxDecompressedBytes: 1024 * MiB,
  maxInputVoxels: 512 * 512 * 1024,
  maxExtentMm: 2000,
  maxResampledVoxels: 160_000_000,
  maxUpsampling: 64,
  maxQueuedInfers: 4,
  maxRequestsPerClient: 3,
};

/** The `wbct serve` flag and unit of each limit (help text, error messages). */
export const LIMIT_FLAGS: Readonly<Record<keyof ResourceLimits, { readonly flag: string; readonly unit: 'MiB' | 'mm' | 'voxels' | 'x' | 'requests' }>> = {
  maxUploadBytes: { flag: '--max-upload-mb', unit: 'MiB' },
  maxDecompressedBytes: { flag: '--max-decompressed-mb', unit: 'MiB' },
  maxInputVoxels: { flag: '--max-input-voxels', unit: 'voxels' },
  maxExtentMm: { flag: '--max-extent-mm', unit: 'mm' },
  maxResampledVoxels: { flag: '--max-resampled-voxels', unit: 'voxels' },
  maxUpsampling: { flag: '--max-upsampling', unit: 'x' },
  maxQueuedInfers: { flag: '--max-queued-infers', unit: 'requests' },
  maxRequestsPerClient: { flag: '--max-requests-per-client', unit: 'requests' },
};

function shown(limit: keyof ResourceLimits, value: number): string {
  const { unit } = LIMIT_FLAGS[limit];
  if (unit === 'MiB') return `${(value / MiB).toFixed(value % MiB === 0 ? 0 : 1)} MiB`;
  return `${value} ${unit}`;
}

/**
 * A request needs more than a limit allows. Thrown from any layer (readers, the pipeline, the queue); the server
 * answers it with 413 (bytes, voxels of an upload) or 422 (geometry) and this message, which names the limit.
 */
export class LimitExceededError extends Error {
  constructor(
    readonly limit: keyof ResourceLimits,
    readonly allowed: number,
    what: string,
  ) {
    super(`${what} exceeds the limit ${limit} = ${shown(limit, allowed)} (wbct serve ${LIMIT_FLAGS[limit].flag})`);
    this.name = 'LimitExceededError';
  }

  /** The same error again on the other side of a worker boundary (postMessage keeps only plain data). */
  static rebuilt(limit: keyof ResourceLimits, allowed: number, message: string): LimitExceededError {
    const e = new LimitExceededError(limit, allowed, '');
    e.message = message;
    return e;
  }
}

export function isLimitExceeded(e: unknown): e is LimitExceededError {
  return e instanceof LimitExceededError;
}
