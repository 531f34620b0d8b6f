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
    expect(planned.native).toBe(used.native);
    expect(planned.scope).toBe(defaultTrainScope(used.native));
    const info = new WholeBodyTrainer({ job: () => Promise.resolve(null), description: wholeBodyTrainDescription() }).info();
    expect(info.description).toContain(`TensorFlow.js via ${used.package}, scope ${planned.scope} by default`);
    if (!used.gpu) expect(info.description).toContain('install @tensorflow/tfjs-node-gpu');
  });

  test('follows WBCT_TF_BACKEND', () => {
    process.env.WBCT_TF_BACKEND = 'cpu';
    expect(plannedTfBackend()).toEqual({ package: '@tensorflow/tfjs', native: false, scope: 'head' });
    process.env.WBCT_TF_BACKEND = 'wasm';
    expect(plannedTfBackend()).toEqual({ package: '@tensorflow/tfjs-backend-wasm', native: false, scope: 'head' });
  });
});
