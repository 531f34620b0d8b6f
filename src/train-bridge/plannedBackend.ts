import { probeWebGpu, type WebGpuStatus } from '../model/webGpuProbe';
import { defaultTrainScope, type TrainScope } from './trainScope';

/** Which TensorFlow.js backend is in use: `tensorflow` is libtensorflow through tfjs-node(-gpu). */
export type TfBackendName = 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export type BackendPreference = 'auto' | TfBackendName;
export type TfPackage = '@tensorflow/tfjs-node-gpu' | '@tensorflow/tfjs-node' | '@tensorflow/tfjs-backend-webgpu' | '@tensorflow/tfjs-backend-wasm' | '@tensorflow/tfjs';

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
  // A GPU through WebGPU: @tensorflow/tfjs-backend-webgpu on Dawn's node binding (npm `webgpu`); neither is a
  // dependency (Dawn is 130 MB and finds no adapter on a CPU machine): `npm install webgpu @tensorflow/tfjs-backend-webgpu@4.22.0`.
  { backend: 'webgpu', package: '@tensorflow/tfjs-backend-webgpu', gpu: true },
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

/** Which of the two packages training on WebGPU needs are not installed. */
export function webGpuTrainingPackagesMissing(): string[] {
  return ['@tensorflow/tfjs-backend-webgpu', 'webgpu'].filter((id) => !resolvable(id));
}

/**
 * The package `initTfBackend()` will load, found without loading anything (the server's main thread reports it in
 * /info; training itself runs in a worker): the first candidate whose package resolves. A native package that is
 * installed but broken still falls back to wasm when training starts, and the task's train_stats then name the
 * backend really used.
 */
export function plannedTfBackend(gpu: () => WebGpuStatus = probeWebGpu): { package: TfPackage; wholeNetwork: boolean; scope: TrainScope; note?: string } {
  const prefer = preferenceFromEnv();
  const candidates = tfCandidates(prefer);
  let note: string | undefined;
  const usable = (c: TfCandidate) => {
    if (c.package === '@tensorflow/tfjs') return true;
    if (c.backend !== 'webgpu') return resolvable(c.package);
    if (webGpuTrainingPackagesMissing().length > 0) return ((note = 'webgpu: not installed (npm install webgpu @tensorflow/tfjs-backend-webgpu@4.22.0, on a machine with a GPU)'), false);
    // The same Dawn over Vulkan as onnxruntime's WebGPU provider: no adapter for one is none for the other.
    const status = gpu();
    if (!status.available) note = `webgpu: ${status.reason}`;
    return status.available;
  };
  const planned = candidates.find(usable) ?? candidates[0];
  if (!planned) throw new Error(`TensorFlow.js backend "${prefer}" is unknown (WBCT_TF_BACKEND: auto, ${CANDIDATES.map((c) => c.backend).filter((b, i, all) => all.indexOf(b) === i).join(', ')})`);
  const wholeNetwork = trainsWholeNetwork(planned.backend);
  return { package: planned.package, wholeNetwork, scope: defaultTrainScope(wholeNetwork), note };
}

/** libtensorflow (tfjs-node, tfjs-node-gpu) and a GPU through WebGPU are fast enough to train the whole network. */
export function trainsWholeNetwork(backend: TfBackendName): boolean {
  return backend === 'tensorflow' || backend === 'webgpu';
}
