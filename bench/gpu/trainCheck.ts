import * as fs from 'node:fs';
import * as path from 'node:path';
import { argmaxChannels } from '../../src/infer/argmax';
import { SegResNetTrainer, type TrainSample } from '../../src/train-bridge/segResNetTrainer';
import { probeWebGpu } from '../../src/model/webGpuProbe';
import { webGpuTrainingPackagesMissing } from '../../src/train-bridge/plannedBackend';
import { type TfBackendInfo, type TfBackendName, initTfBackend } from '../../src/train-bridge/tfBackend';
import { TfSegResNet } from '../../src/train-bridge/tfSegResNet';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import type { StateDict } from '../../src/weights/tensor';
import { median, syntheticTrainSample } from '../benchUtil';
import { ADAMW_3STEP_FINAL_LOSS_TOLERANCE, ADAMW_3STEP_LOSS_TOLERANCES, LOSS_TOLERANCE, step1Verdict, step3Verdict, tfGradientVerdict } from '../parity/trainParity';
import { describeGpuMemory, peakGpuMemory } from './gpuMemory';
import type { BundleWeights } from './inferCheck';
import { TINY_SIZE, TINY_WEIGHTS, readF32, tinyInput, tinyLogitParity } from './tinyFixtures';

/**
 * The files of oracle/train_step this check reads (scripts/gpuBundle.js carries exactly these to a GPU machine): the
 * label of the tiny sample, torch's DiceCELoss, every gradient, the AdamW runs' losses and the weights after steps 1
 * and 3 of the run at lr 1e-3. (The lr 1e-4 one-step run of the jest suite stays behind: 4.7 MB more than 64 MiB hold.)
 */
export const TRAIN_ORACLE_FILES: readonly string[] = ['label_24_u8.raw', 'loss.json', 'adamw_steps.json', 'after_step1_lr1e-3.pt', 'after_step3_lr1e-3.pt', 'grad'];

interface AdamwRun {
  steps: Array<{ loss_before_step: { float64_exact: number } }>;
  loss_after_last_step: { float64_exact: number };
}

const LR = 1e-3;
const verdict = (pass: boolean) => (pass ? 'PASS' : 'FAIL');

function oracleJson<T>(trainStep: string, name: string): T {
  return JSON.parse(fs.readFileSync(path.join(trainStep, name), 'utf8')) as T;
}

function newTrainer(sd: StateDict, info: TfBackendInfo, lr: number): SegResNetTrainer {
  return new SegResNetTrainer(TfSegResNet.fromStateDict(sd, info.convMode), { scope: 'all', optimizer: { lr, weightDecay: 1e-5 } });
}

function release(trainer: SegResNetTrainer): void {
  trainer.dispose();
  trainer.net.dispose();
}

/** Forward, DiceCELoss, all 83 gradients and three AdamW steps of the whole tiny network vs MONAI/torch. */
async function tinyParity(info: TfBackendInfo, trainStep: string, log: (line: string) => void): Promise<boolean> {
  const sd = await readTorchStateDict(TINY_WEIGHTS);
  const sample: TrainSample = { window: tinyInput(), labels: new Uint8Array(fs.readFileSync(path.join(trainStep, 'label_24_u8.raw'))), dims: [TINY_SIZE, TINY_SIZE, TINY_SIZE] };
  const v = TINY_SIZE ** 3;

  const t = newTrainer(sd, info, LR);
  const logits = await t.predict(sample.window, sample.dims);
  const forward = tinyLogitParity((voxel, c) => logits[c * v + voxel]!, argmaxChannels(logits, 105, v));
  log(`forward: max sampled logit difference ${forward.worst.toExponential(2)} (limit 1e-4), argmax ${forward.argmaxEqual ? 'identical' : 'DIFFERS'}: ${verdict(forward.pass)}`);

  const { loss, grads } = await t.lossAndGradients(sample);
  const lossDiff = Math.abs(loss - oracleJson<{ DiceCELoss: { float64_exact: number } }>(trainStep, 'loss.json').DiceCELoss.float64_exact);
  const g = await tfGradientVerdict(grads, sd, (key) => readF32(path.join(trainStep, 'grad', `${key}.f32`)));
  const gradientsPass = lossDiff < LOSS_TOLERANCE && g.pass && g.tensors === 83;
  log(
    `DiceCELoss ${loss.toFixed(7)} (torch differs by ${lossDiff.toExponential(2)}, limit ${LOSS_TOLERANCE}); ${g.tensors} gradients: worst rel L2 ${g.worstRel.toExponential(2)} (limit 1e-4), max abs ${g.worstAbs.toExponential(2)} (limit 1e-6), zeros lost ${g.zerosOff}: ${verdict(gradientsPass)}`,
  );

  const run = oracleJson<{ runs: Record<string, AdamwRun> }>(trainStep, 'adamw_steps.json').runs['full_lr1e-3_3steps'];
  if (!run) throw new Error('adamw_steps.json has no run full_lr1e-3_3steps');
  let adamwPass = true;
  const parts: string[] = [];
  for (const [i, tolerance] of ADAMW_3STEP_LOSS_TOLERANCES.entries()) {
    const d = Math.abs((await t.step(sample)) - run.steps[i]!.loss_before_step.float64_exact);
    adamwPass &&= d < tolerance;
    parts.push(`loss before step ${i + 1} off by ${d.toExponential(2)} (limit ${tolerance})`);
    if (i === 0) {
      const s1 = step1Verdict(await t.net.toStateDict(), await readTorchStateDict(path.join(trainStep, 'after_step1_lr1e-3.pt')), LR);
      adamwPass &&= s1.pass;
      parts.push(`weights after step 1: max ${(s1.max / LR).toFixed(3)}*lr, ${s1.overTenth} beyond 0.1*lr, ${s1.overHundredth} beyond 0.01*lr`);
    }
  }
  const s3 = step3Verdict(await t.net.toStateDict(), await readTorchStateDict(path.join(trainStep, 'after_step3_lr1e-3.pt')), sd);
  adamwPass &&= s3.pass;
  parts.push(`weights after step 3: ${s3.overLoose} elements beyond 5e-3, ${s3.relativeToUpdate.toFixed(4)} of the update (limit 0.02)`);
  const after = Math.abs((await t.loss(sample)) - run.loss_after_last_step.float64_exact);
  adamwPass &&= after < ADAMW_3STEP_FINAL_LOSS_TOLERANCE;
  parts.push(`loss after step 3 off by ${after.toExponential(2)} (limit ${ADAMW_3STEP_FINAL_LOSS_TOLERANCE})`);
  log(`AdamW lr ${LR}, 3 steps: ${parts.join('; ')}: ${verdict(adamwPass)}`);
  release(t);
  return forward.pass && gradientsPass && adamwPass;
}

/**
 * The training path on TensorFlow.js `backend` (webgpu on a GPU machine): the whole tiny network against the oracle,
 * then seconds per AdamW step of the bundle-size network (scope all, DiceCELoss, window^3: steps of one window, then
 * one of a batch, the bundle's recipe being 4 of 96^3) and the GPU's peak memory. `unavailable` when the backend cannot start (no adapter).
 */
export async function checkTraining(
  backend: TfBackendName,
  trainStep: string,
  weights: BundleWeights,
  timing: { readonly window: number; readonly batch: number; readonly steps: number; readonly deadlineSeconds: number },
  log: (line: string) => void,
): Promise<{ pass: boolean; unavailable?: string }> {
  const missing = backend === 'webgpu' ? webGpuTrainingPackagesMissing() : [];
  if (missing.length > 0) {
    log(`TensorFlow.js webgpu: ${missing.join(' and ')} not installed (scripts/gpuBundle.js packs them)`);
    return { pass: false };
  }
  let info: TfBackendInfo;
  try {
    info = await initTfBackend(backend);
  } catch (e) {
    log(`TensorFlow.js ${backend}: ${(e as Error).message}`);
    // "Unavailable" only where there is no adapter; a backend that fails on a GPU that answers is a failure.
    const gpu = backend === 'webgpu' ? probeWebGpu() : undefined;
    return gpu && !gpu.available ? { pass: false, unavailable: gpu.reason } : { pass: false };
  }
  log(`TensorFlow.js backend ${info.backend} (${info.package}, conv3d ${info.convMode})`);
  const pass = await tinyParity(info, trainStep, log);
  log(`== train: parity ${pass ? 'PASS' : 'FAIL'}`);
  const { window, batch, steps, deadlineSeconds } = timing;

  const t = newTrainer(await weights.load(), info, 1e-4);
  const samples = Array.from({ length: batch }, (_, i) => syntheticTrainSample(window, i));
  const start0 = performance.now();
  const elapsed = () => (performance.now() - start0) / 1000;
  const timedStep = async (windows: readonly TrainSample[], label: string) => {
    const start = performance.now();
    const loss = await t.step(windows);
    const seconds = (performance.now() - start) / 1000;
    log(`  ${label}: ${seconds.toFixed(2)} s (loss ${loss.toFixed(4)})`);
    return seconds;
  };
  // Steps of one window first, each printed, so that a slow first step still leaves a figure; then one step of the
  // whole batch if the deadline leaves room for it (the trainer runs a batch's windows one after another). No step
  // starts past the deadline: the timing must not cost the run its report.
  const timed = await peakGpuMemory(async () => {
    const single: number[] = [];
    for (let i = 0; i < steps && (i === 0 || elapsed() < deadlineSeconds); i++) single.push(await timedStep([samples[0]!], `step ${i + 1}, 1 window`));
    const perWindow = median(single.length > 1 ? single.slice(1) : single);
    const batched = batch > 1 && elapsed() + batch * perWindow < deadlineSeconds ? await timedStep(samples, `step of ${batch} windows`) : undefined;
    return { single, perWindow, batched };
  });
  release(t);
  const { single, perWindow, batched } = timed.result;
  log(
    `${weights.name}, scope all, ${window}^3: ${perWindow.toFixed(2)} s per AdamW step of 1 window (${single.length > 1 ? `median after the first of ${single.length}; first ${single[0]!.toFixed(2)} s` : 'one step'}), ` +
      `${batched === undefined ? `batch of ${batch} not timed (deadline)` : `${batched.toFixed(2)} s per step of a batch of ${batch}`}; ${describeGpuMemory(timed)}`,
  );
  return { pass };
}
