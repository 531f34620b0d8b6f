import { plannedTfBackend } from '../../src/train-bridge/plannedBackend';

/**
 * Why training on WebGPU cannot be tested here, or null: it needs @tensorflow/tfjs-backend-webgpu and npm `webgpu`
 * (not dependencies: `scripts/gpuBundle.js` packs them for a GPU machine) and a GPU adapter; under jest also
 * NODE_OPTIONS=--experimental-vm-modules (Dawn's binding is an ES module).
 */
export function webGpuTrainingUnavailable(): string | null {
  const saved = process.env.WBCT_TF_BACKEND;
  process.env.WBCT_TF_BACKEND = 'webgpu';
  try {
    const planned = plannedTfBackend();
    if (planned.note) return planned.note;
    if (!(process.env.NODE_OPTIONS ?? '').includes('--experimental-vm-modules')) return 'webgpu: jest needs NODE_OPTIONS=--experimental-vm-modules to import Dawn (an ES module)';
    return null;
  } finally {
    if (saved === undefined) delete process.env.WBCT_TF_BACKEND;
    else process.env.WBCT_TF_BACKEND = saved;
  }
}

export function describeWithWebGpuTraining(name: string, fn: () => void): void {
  const missing = webGpuTrainingUnavailable();
  if (missing) describe.skip(`${name} [SKIPPED: ${missing}]`, fn);
  else describe(name, fn);
}
