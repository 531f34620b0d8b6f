/**
 * node dist/bench/gpuCheck.js --part infer|train [--oracle DIR] [--ort-device webgpu|cpu] [--tf-backend webgpu|wasm|cpu]
 *                            [--weights model.pt] [--window 96] [--batch 4] [--steps 3] [--deadline-seconds 150]
 * The device run of the GPU issue (scripts/gpu-check.sh runs both parts, each in its own process: onnxruntime and npm
 * `webgpu` each carry a Dawn). `infer`: parity of the tiny SegResNet on onnxruntime's WebGPU provider against MONAI,
 * then seconds per bundle-size window on WebGPU and CPU in the same run, peak GPU memory. `train`: forward, DiceCELoss,
 * every gradient and AdamW of the whole tiny network on TensorFlow.js webgpu against MONAI/torch (--oracle holds
 * train_step/), then seconds per bundle-size AdamW step (scope all, batch of window^3; no step starts after
 * --deadline-seconds), peak GPU memory.
 * `--ort-device cpu` / `--tf-backend wasm` run the same checks on the CPU: how a bundle is proved here.
 * Exit status 0: every parity held; 1: one failed (or the run broke); 2: the GPU path is not available (no adapter).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Device } from '../src/model/segmentationNetwork';
import { probeWebGpu } from '../src/model/webGpuProbe';
import { type TfBackendName, releaseTfBackend } from '../src/train-bridge/tfBackend';
import { projectRoot } from '../src/util/projectRoot';
import { cpuName, sharedDir } from './benchUtil';
import { bundleWeights, checkInference } from './gpu/inferCheck';
import { checkTraining } from './gpu/trainCheck';

const DEVICES: readonly Device[] = ['webgpu', 'cpu'];
const TF_BACKENDS: readonly TfBackendName[] = ['webgpu', 'wasm', 'cpu'];

function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`--${name} ${value}: expected one of ${allowed.join(', ')}`);
  return value as T;
}

function positive(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} ${value}: expected a positive integer`);
  return n;
}

/** Explicit weights, else the real highres model or the oracle's seed-0 weights where present, else seeded ones. */
function weightsFile(explicit: string | undefined): string | undefined {
  const candidates = [explicit, process.env.WBCT_GPU_CHECK_WEIGHTS, path.join(projectRoot(), 'models', 'model.pt'), path.join(sharedDir(), 'oracle', 'segresnet105_seed0.pt')];
  if (explicit && !fs.existsSync(explicit)) throw new Error(`--weights ${explicit}: no such file`);
  return candidates.find((c): c is string => c !== undefined && fs.existsSync(c));
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      part: { type: 'string' },
      oracle: { type: 'string', default: path.join(sharedDir(), 'oracle') },
      'ort-device': { type: 'string', default: 'webgpu' },
      'tf-backend': { type: 'string', default: 'webgpu' },
      weights: { type: 'string' },
      window: { type: 'string', default: '96' },
      batch: { type: 'string', default: '4' },
      steps: { type: 'string', default: '3' },
      'deadline-seconds': { type: 'string', default: '150' },
    },
  });
  const part = oneOf('part', values.part ?? '', ['infer', 'train'] as const);
  const window = positive('window', values.window);
  const weights = bundleWeights(weightsFile(values.weights));
  console.log(`== ${part}: ${cpuName()}, ${os.availableParallelism()} cores; ${new Date().toISOString()}`);
  const log = (line: string) => console.log(line);
  let result: { pass: boolean; unavailable?: string };
  if (part === 'infer') {
    const device = oneOf('ort-device', values['ort-device'], DEVICES);
    const gpu = device === 'webgpu' ? probeWebGpu() : { available: true as const };
    if (gpu.available) result = { pass: await checkInference(device, weights, window, log) };
    else {
      log(`onnxruntime webgpu: no adapter (${gpu.reason})`);
      result = { pass: false, unavailable: gpu.reason };
    }
  } else {
    const trainStep = path.join(values.oracle, 'train_step');
    if (!fs.existsSync(path.join(trainStep, 'loss.json'))) throw new Error(`no MONAI training oracle at ${trainStep} (--oracle names the folder that holds train_step/)`);
    const timing = { window, batch: positive('batch', values.batch), steps: positive('steps', values.steps), deadlineSeconds: positive('deadline-seconds', values['deadline-seconds']) };
    try {
      result = await checkTraining(oneOf('tf-backend', values['tf-backend'], TF_BACKENDS), trainStep, weights, timing, log);
    } finally {
      await releaseTfBackend();
    }
  }
  // Each check prints its verdict ("== <part>: parity PASS|FAIL") as soon as it has one, before the timing.
  if (result.unavailable) return 2;
  return result.pass ? 0 : 1;
}

/** How long the process may take to end by itself once it has reported. */
const EXIT_GRACE_MS = 15_000;

// The process ends by itself, so that Node finalises the native add-ons before exit(): a process.exit with Dawn's
// device live ran the driver's teardown under its own threads (SwiftShader: SIGSEGV in 1 run of 16). What still holds
// the event loop after the grace period (a device nobody released) is named and cut short.
function end(code: number): void {
  process.exitCode = code;
  setTimeout(() => {
    console.log(`gpuCheck: still running ${EXIT_GRACE_MS / 1000} s after its report (a device was not released); ended by process.exit`);
    process.exit(code);
  }, EXIT_GRACE_MS).unref();
}

main().then(end, (e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  end(1);
});
