import { ENGINE_CHOICES, PRECISIONS, type EngineChoice, type Precision } from '../../model/segmentationNetwork';
import { UsageError } from '../usageError';

/** `--engine auto|onednn|onnxruntime` for serve and segment. */
export const ENGINE_OPTIONS = { engine: { type: 'string', default: process.env.WBCT_ENGINE ?? 'auto' } } as const;

export function engineFromArgs(value: string): EngineChoice {
  const choice = ENGINE_CHOICES.find((c) => c === value);
  if (!choice) throw new UsageError(`--engine must be one of ${ENGINE_CHOICES.join(', ')}, got "${value}"`);
  return choice;
}

export function precisionFromArgs(value: string): Precision {
  const p = PRECISIONS.find((c) => c === value);
  if (!p) throw new UsageError(`--precision must be one of ${PRECISIONS.join(', ')}, got "${value}"`);
  return p;
}
