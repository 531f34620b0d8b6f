import type { Resolution } from './bundleRecipe';
import type { JsonObject } from '../../core/json';
import { TRAIN_SCOPES, type TrainScope } from '../../train-bridge/trainScope';
import { boolOption, enumOption, numberOption } from './optionValues';

/** Trainer options Slicer shows (its train panel sends them back, first list item selected). */
export const WHOLE_BODY_TRAIN_CONFIG: JsonObject = {
  device: ['cpu'],
  pretrained: true,
  highres: true,
  max_epochs: 50,
  val_split: 0.2,
  scope: ['auto', ...TRAIN_SCOPES],
  lr: 1e-4,
};

export interface WholeBodyTrainParams {
  readonly resolution: Resolution;
  readonly maxEpochs: number;
  readonly valSplit: number;
  readonly lr: number;
  /** undefined: `auto`, the backend's default scope. */
  readonly scope: TrainScope | undefined;
}

/**
 * The trainer options this model understands (`highres`, `max_epochs`, `val_split`, `lr`, `scope`), over the
 * config defaults; parsed when the request arrives, so a bad value is a 422 before any task is accepted.
 */
export function wholeBodyTrainParams(request: JsonObject): WholeBodyTrainParams {
  const highres = boolOption('highres', request.highres ?? true);
  const maxEpochs = numberOption('max_epochs', request.max_epochs ?? 50, (n) => Number.isInteger(n) && n >= 1 && n <= 100_000, 'an integer in [1, 100000]');
  const valSplit = numberOption('val_split', request.val_split ?? 0.2, (n) => n >= 0 && n < 1, 'a number in [0, 1)');
  const lr = numberOption('lr', request.lr ?? 1e-4, (n) => n > 0 && n < 1, 'a number in (0, 1)');
  const scope = enumOption('scope', request.scope ?? 'auto', ['auto', ...TRAIN_SCOPES] as const);
  return { resolution: highres ? 'highres' : 'lowres', maxEpochs, valSplit, lr, scope: scope === 'auto' ? undefined : scope };
}
