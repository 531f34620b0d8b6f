import { ENGINE_CHOICES, PRECISIONS, type EngineChoice, type Precision } from '../../model/segmentationNetwork';
import { oneOf } from '../usageError';

/** `--engine auto|onednn|onnxruntime` for serve and segment. */
export const ENGINE_OPTIONS = { engine: { type: 'string', default: process.env.WBCT_ENGINE ?? 'auto' } } as const;

export const engineFromArgs = (value: string): EngineChoice => oneOf('engine', value, ENGINE_CHOICES);

export const precisionFromArgs = (value: string): Precision => oneOf('precision', value, PRECISIONS);
