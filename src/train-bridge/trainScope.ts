/** Which parameters fine-tuning updates: everything, the decoder (up levels + head), or only the head (conv_final). */
export type TrainScope = 'all' | 'decoder' | 'head';

export const TRAIN_SCOPES: readonly TrainScope[] = ['all', 'decoder', 'head'];

const PREFIXES: Record<TrainScope, readonly string[]> = {
  all: [''],
  decoder: ['up_layers.', 'up_samples.', 'conv_final.'],
  head: ['conv_final.'],
};

export function isTrainable(scope: TrainScope, key: string): boolean {
  return PREFIXES[scope].some((p) => key.startsWith(p));
}

export function parseTrainScope(value: string): TrainScope {
  if ((TRAIN_SCOPES as readonly string[]).includes(value)) return value as TrainScope;
  throw new RangeError(`unknown training scope "${value}" (expected one of ${TRAIN_SCOPES.join(', ')})`);
}

/** `all` where libtensorflow or a GPU trains; on the pure-JS backends a full step takes minutes, so only the head. */
export function defaultTrainScope(wholeNetwork: boolean): TrainScope {
  return wholeNetwork ? 'all' : 'head';
}
