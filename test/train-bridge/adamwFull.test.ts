import { SegResNetTrainer } from '../../src/train-bridge/segResNetTrainer';
import { initTfBackend, type TfBackendName } from '../../src/train-bridge/tfBackend';
import { describeWithWebGpuTraining } from './webGpuTraining';
import { TfSegResNet } from '../../src/train-bridge/tfSegResNet';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import { StateDict } from '../../src/weights/tensor';
import { describeWithOracle, oracleFile } from '../helpers/oracle';
import { defined } from '../helpers/defined';
import { adamwRun, tinySample, tinyWeights } from './tinyOracle';
import { ADAMW_3STEP_FINAL_LOSS_TOLERANCE, ADAMW_3STEP_LOSS_TOLERANCES, LOSS_TOLERANCE, step1Verdict, step3Verdict } from '../../bench/parity/trainParity';

/** AdamW's step 1 vs torch: the criterion of bench/parity (the GPU device check applies the same one). */
function expectStep1Close(ours: StateDict, torch: StateDict, lr: number): void {
  const v = step1Verdict(ours, torch, lr);
  expect(v.max).toBeLessThanOrEqual(0.5 * lr);
  expect(v.overTenth).toBeLessThanOrEqual(2);
  expect(v.overHundredth).toBeLessThan(50);
}

async function trainer(lr: number, backend: TfBackendName): Promise<{ t: SegResNetTrainer; w0: StateDict }> {
  const info = await initTfBackend(backend);
  const w0 = await tinyWeights();
  return { t: new SegResNetTrainer(TfSegResNet.fromStateDict(w0, info.convMode), { scope: 'all', optimizer: { lr, weightDecay: 1e-5 } }), w0 };
}

const step1 = (lr: number) => readTorchStateDict(oracleFile('train_step', `after_step1_lr${lr === 1e-3 ? '1e-3' : '1e-4'}.pt`));

/** The whole tiny model through AdamW on `backend` vs torch. */
function describeAdamW(backend: TfBackendName): void {
describe(`AdamW on the whole tiny model vs torch (${backend} backend)`, () => {
  test('lr 1e-4, 1 step: weights after the step, loss before and after', async () => {
    const { t } = await trainer(1e-4, backend);
    const run = adamwRun('full_lr1e-4_1step');
    const sample = tinySample();
    expect(run.steps).toHaveLength(1);
    expect(Math.abs((await t.step(sample)) - defined(run.steps[0], 'step 1').loss_before_step.float64_exact)).toBeLessThan(LOSS_TOLERANCE);
    expectStep1Close(await t.net.toStateDict(), await step1(1e-4), 1e-4);
    expect(Math.abs((await t.loss(sample)) - run.loss_after_last_step.float64_exact)).toBeLessThan(LOSS_TOLERANCE);
    t.dispose();
    t.net.dispose();
  });

  test('lr 1e-3, 3 steps: step 1 tight, step 3 loosely (a ReLU gate flips after step 1, see the oracle README)', async () => {
    const { t, w0 } = await trainer(1e-3, backend);
    const run = adamwRun('full_lr1e-3_3steps');
    const sample = tinySample();
    const tolerances = ADAMW_3STEP_LOSS_TOLERANCES;
    expect(run.steps).toHaveLength(tolerances.length);
    for (const [i, tolerance] of tolerances.entries()) {
      expect(Math.abs((await t.step(sample)) - defined(run.steps[i], `step ${i + 1}`).loss_before_step.float64_exact)).toBeLessThan(tolerance);
      if (i === 0) expectStep1Close(await t.net.toStateDict(), await step1(1e-3), 1e-3);
    }
    const after = await t.net.toStateDict();
    const torch3 = await readTorchStateDict(oracleFile('train_step', 'after_step3_lr1e-3.pt'));
    const v = step3Verdict(after, torch3, w0);
    expect(v.overLoose).toBe(0);
    expect(v.relativeToUpdate).toBeLessThan(0.02);
    expect(Math.abs((await t.loss(sample)) - run.loss_after_last_step.float64_exact)).toBeLessThan(ADAMW_3STEP_FINAL_LOSS_TOLERANCE);
    t.dispose();
    t.net.dispose();
  });
});
}

describeWithOracle('AdamW vs torch', () => {
  describeAdamW('wasm');
  describeWithWebGpuTraining('on WebGPU', () => describeAdamW('webgpu'));
});
