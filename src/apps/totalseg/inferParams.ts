import type { LabelDtype } from '../../infer/segmentTypes';
import type { Resolution } from './bundleRecipe';
import type { JsonObject } from '../../core/json';
import { PRECISIONS, type Device, type Precision } from '../../model/segmentationNetwork';
import { ApiError } from '../../core/errors';
import { boolOption, enumOption, numberOption } from './optionValues';

export interface WholeBodyRunParams {
  readonly resolution: Resolution;
  readonly overlap: number;
  readonly swBatchSize: number;
  readonly outputDtype: LabelDtype;
  readonly precision: Precision;
  /** Per-structure statistics in the answer's params (`statistics`), TotalSegmentator's statistics.json. */
  readonly statistics: boolean;
  readonly device: Device;
}

/** The engine's precisions, exact first, its devices, and what to say when a request asks for one it lacks. */
export interface PrecisionChoice {
  readonly available: readonly Precision[];
  readonly engine: string;
  readonly devices: readonly Device[];
  /** Why `webgpu` is not a device here (no adapter, or the server was not started with --webgpu). */
  readonly webgpuNote?: string;
}

/**
 * The request params this model understands, over its config defaults: `highres` (false selects the 3 mm model),
 * `sw_overlap`, `sw_batch_size`, `result_dtype`, `precision` (one the engine runs: fp32 always), `statistics`, `device`
 * (`webgpu` where offered; any other value, e.g. MONAI Label's `cuda`, runs on the CPU as before). `client_id` and the
 * rest are accepted and ignored.
 */
export function wholeBodyRunParams(params: JsonObject, precisions: PrecisionChoice): WholeBodyRunParams {
  const highres = boolOption('highres', params.highres ?? true);
  const overlap = numberOption('sw_overlap', params.sw_overlap ?? 0.25, (n) => n >= 0 && n < 1, 'a number in [0, 1)');
  const swBatchSize = numberOption('sw_batch_size', params.sw_batch_size ?? 1, (n) => Number.isInteger(n) && n >= 1 && n <= 64, 'an integer in [1, 64]');
  const outputDtype = enumOption<LabelDtype>('result_dtype', params.result_dtype ?? 'uint8', ['uint8', 'float32']);
  const precision = enumOption<Precision>('precision', params.precision ?? 'fp32', PRECISIONS);
  if (!precisions.available.includes(precision)) {
    throw new ApiError('INVALID_PARAM', `precision ${precision} is not available on this server's engine (${precisions.engine}); it runs ${precisions.available.join(', ')}`);
  }
  const statistics = boolOption('statistics', params.statistics ?? false);
  const device: Device = params.device === 'webgpu' ? 'webgpu' : 'cpu';
  if (device === 'webgpu' && !precisions.devices.includes('webgpu')) {
    throw new ApiError('INVALID_PARAM', `device webgpu is not available on this server: ${precisions.webgpuNote ?? 'start it with wbct serve --webgpu on a machine with a GPU'}`);
  }
  if (device === 'webgpu' && precision !== 'fp32') throw new ApiError('INVALID_PARAM', `precision ${precision} runs on the CPU engine only; on device webgpu the network runs in fp32`);
  return { resolution: highres ? 'highres' : 'lowres', overlap, swBatchSize, outputDtype, precision, statistics, device };
}
