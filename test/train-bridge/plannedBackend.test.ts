import { wholeBodyTrainDescription } from '../../src/apps/totalseg/wholeBodyTrainJob';
import { WholeBodyTrainer } from '../../src/apps/totalseg/wholeBodyTrainer';
import { plannedTfBackend } from '../../src/train-bridge/plannedBackend';
import { initTfBackend } from '../../src/train-bridge/tfBackend';
import { defaultTrainScope } from '../../src/train-bridge/trainScope';

describe('the training backend /info announces', () => {
  const saved = process.env.WBCT_TF_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.WBCT_TF_BACKEND;
    else process.env.WBCT_TF_BACKEND = saved;
  });

  test('is the one training then selects, with its default scope', async () => {
    delete process.env.WBCT_TF_BACKEND;
    const planned = plannedTfBackend();
    const used = await initTfBackend('auto');
    expect(planned.package).toBe(used.package);
    expect(planned.wholeNetwork).toBe(used.wholeNetwork);
    expect(planned.scope).toBe(defaultTrainScope(used.wholeNetwork));
    const info = new WholeBodyTrainer({ job: () => Promise.resolve(null), description: wholeBodyTrainDescription() }).info();
    expect(info.description).toContain(`TensorFlow.js via ${used.package}, scope ${planned.scope} by default`);
    if (!used.gpu) expect(info.description).toContain('install @tensorflow/tfjs-node-gpu');
    // Where WebGPU is not what trains, the description says why (not installed, or no adapter).
    if (!used.gpu) expect(info.description).toMatch(/\(webgpu: [^)]+\)/);
  });

  test('follows WBCT_TF_BACKEND', () => {
    process.env.WBCT_TF_BACKEND = 'cpu';
    expect(plannedTfBackend()).toEqual({ package: '@tensorflow/tfjs', wholeNetwork: false, scope: 'head' });
    process.env.WBCT_TF_BACKEND = 'wasm';
    expect(plannedTfBackend()).toEqual({ package: '@tensorflow/tfjs-backend-wasm', wholeNetwork: false, scope: 'head' });
  });

  test('webgpu is planned only with its packages and a GPU adapter; otherwise the reason is given', () => {
    process.env.WBCT_TF_BACKEND = 'webgpu';
    const installed = (() => {
      try {
        require.resolve('@tensorflow/tfjs-backend-webgpu');
        require.resolve('webgpu');
        return true;
      } catch {
        return false;
      }
    })();
    const noAdapter = plannedTfBackend(() => ({ available: false, reason: 'Failed to get a WebGPU adapter: No supported adapters' }));
    expect(noAdapter.note).toBe(installed ? 'webgpu: Failed to get a WebGPU adapter: No supported adapters' : 'webgpu: not installed (npm install webgpu @tensorflow/tfjs-backend-webgpu@4.22.0, on a machine with a GPU)');
    const withAdapter = plannedTfBackend(() => ({ available: true }));
    if (installed) expect(withAdapter).toEqual({ package: '@tensorflow/tfjs-backend-webgpu', wholeNetwork: true, scope: 'all' });
  });
});
