import { defaultTrainScope, type TrainScope } from './trainScope';

/** Packages initTfBackend can load, most capable first (kept free of tfjs imports: the server's main thread reads it). */
export type TfPackage = '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node' | '@tensorflow/tfjs-backend-wasm' | '@tensorflow/tfjs';

function resolvable(id: string): boolean {
  try {
    require.resolve(id);
    return true;
  } catch {
    return false;
  }
}

/**
 * The package `initTfBackend('auto')` will try first, found without loading anything (the server's main thread
 * reports it in /info; training itself runs in a worker). A native package that is installed but broken still falls
 * back to wasm when training starts, and the task's train_stats then name the backend really used.
 */
export function plannedTfBackend(): { package: TfPackage; native: boolean; scope: TrainScope } {
  const planned = plannedPackage();
  return { ...planned, scope: defaultTrainScope(planned.native) };
}

function plannedPackage(): { package: TfPackage; native: boolean } {
  const forced = process.env.WBCT_TF_BACKEND;
  if (forced === 'wasm') return { package: '@tensorflow/tfjs-backend-wasm', native: false };
  if (forced === 'cpu') return { package: '@tensorflow/tfjs', native: false };
  if (resolvable('@tensorflow/tfjs-node-gpu')) return { package: '@tensorflow/tfjs-node-gpu', native: true };
  if (resolvable('@tensorflow/tfjs-node')) return { package: '@tensorflow/tfjs-node', native: true };
  if (resolvable('@tensorflow/tfjs-backend-wasm')) return { package: '@tensorflow/tfjs-backend-wasm', native: false };
  return { package: '@tensorflow/tfjs', native: false };
}
