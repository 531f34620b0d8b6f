import type { LabelDtype, Resolution } from '../../infer/segmentTypes';
import { ApiError } from '../../server/errors';
import type { JsonObject, JsonValue } from '../../server/json';

export interface WholeBodyRunParams {
  readonly resolution: Resolution;
  readonly overlap: number;
  readonly swBatchSize: number;
  readonly outputDtype: LabelDtype;
}

function invalid(name: string, expected: string, value: JsonValue): never {
  throw new ApiError('INVALID_PARAM', `${name} must be ${expected}, got ${JSON.stringify(value)}`);
}

/** Slicer sends bools from checkboxes and numbers cast back from text fields; other clients may send strings. */
function toBool(name: string, value: JsonValue): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'True') return true;
  if (value === 'false' || value === 'False') return false;
  return invalid(name, 'true or false', value);
}

function toNumber(name: string, value: JsonValue, ok: (n: number) => boolean, expected: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && ok(n) ? n : invalid(name, expected, value);
}

/**
 * The request params this model understands, over its config defaults: `highres` (false selects the 3 mm model),
 * `sw_overlap`, `sw_batch_size`, `result_dtype`. `device`, `client_id` and the rest are accepted and ignored.
 */
export function wholeBodyRunParams(params: JsonObject): WholeBodyRunParams {
  const highres = toBool('highres', params.highres ?? true);
  const overlap = toNumber('sw_overlap', params.sw_overlap ?? 0.25, (n) => n >= 0 && n < 1, 'a number in [0, 1)');
  const swBatchSize = toNumber('sw_batch_size', params.sw_batch_size ?? 1, (n) => Number.isInteger(n) && n >= 1 && n <= 64, 'an integer in [1, 64]');
  const dtype = params.result_dtype ?? 'uint8';
  if (dtype !== 'uint8' && dtype !== 'float32') invalid('result_dtype', '"uint8" or "float32"', dtype);
  return { resolution: highres ? 'highres' : 'lowres', overlap, swBatchSize, outputDtype: dtype };
}
