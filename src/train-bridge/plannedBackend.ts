import { defaultTrainScope, type TrainScope } from './trainScope';

/** Which TensorFlow.js backend is in use: `tensorflow` is libtensorflow through tfjs-node(-gpu). */
export type TfBackendName = 'tensorflow' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | TfBackendName;
export type TfPackage = '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node' | '@tensorflow/tfjs-backend-wasm' | '@tensorflow/tfjs';

export interface TfCandidate {
  readonly backend: TfBackendName;
  /** The npm package that provides it; `@tensorflow/tfjs` itself is always installed. */
  readonly package: TfPackage;
  readonly gpu: boolean;
}

/** The backends initTfBackend tries, most capable first (kept free of tfjs imports: the server's main thread reads it). */
const CANDIDATES: readonly TfCandidate[] = [
  { backend: 'tensorflow', package: '@tensorflow/tfjs-node-gpu', gpu: true },
  { backend: 'tensorflow', package: '@tensorflow/tfjs-node', gpu: false },
  { backend: 'wasm', package: '@tensorflow/tfjs-backend-wasm', gpu: false },
  { backend: 'cpu', package: '@tensorflow/tfjs', gpu: false },
];

export function tfCandidates(prefer: BackendPreference): readonly TfCandidate[] {
  return prefer === 'auto' ? CANDIDATES : CANDIDATES.filter((c) => c.backend === prefer);
}

export function preferenceFromEnv(): BackendPreference {
  return (process.env.WBCT_TF_BACKEND as BackendPreference | undefined) || 'auto';
}

function resolvable(id: string): boolean {
  try {
    require.resolve(id);
    return true;
  } catch {
    return false;
  }
}

/**
 * The package `initTfBackend()` will load, found without loading anything (the server's main thread reports it in
 * /info; training itself runs in a worker): the first candidate whose package resolves. A native package that is
 * installed but broken still falls back to wasm when training starts, and the task's train_stats then name the
 * backend really used.
 */
export function plannedTfBackend(): { package: TfPackage; native: boolean; scope: TrainScope } {
  const prefer = preferenceFromEnv();
  const candidates = tfCandidates(prefer);
  const planned = candidates.find((c) => c.package === '@tensorflow/tfjs' || resolvable(c.package)) ?? candidates[0];
  if (!planned) throw new Error(`TensorFlow.js backend "${prefer}" is unknown (WBCT_TF_BACKEND: auto, ${CANDIDATES.map((c) => c.backend).filter((b, i, all) => all.indexOf(b) === i).join(', ')})`);
  const native = planned.backend === 'tensorflow';
  return { package: planned.package, native, scope: defaultTrainScope(native) };
}
