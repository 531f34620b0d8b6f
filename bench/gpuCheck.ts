import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSegResNetOnnx } from '../src/model/buildSegResNetOnnx';
import { networkLogits } from '../src/model/networkLogits';
import { SegResNetSession } from '../src/model/segresnetSession';
import type { Device } from '../src/model/segmentationNetwork';
import { probeWebGpu } from '../src/model/webGpuProbe';
import { argmaxChannels } from '../src/infer/argmax';
import { projectRoot } from '../src/util/projectRoot';
import { readTorchStateDict } from '../src/weights/readTorchStateDict';
import { benchWeights, cpuName, median } from './benchUtil';

/**
 * The device run of the WebGPU inference path (`scripts/gpu-check.sh` runs it on a machine with a GPU): parity of the
 * tiny SegResNet on onnxruntime's WebGPU provider against MONAI's logits (the repo's fixtures, so it needs no
 * ../shared), then seconds per 96^3 window on WebGPU and on the CPU in the same run, and the GPU's peak memory
 * (nvidia-smi, sampled). Prints one report; exits 1 when the GPU is there but parity fails, 2 when there is no adapter.
 */
const FIXTURES = path.join(projectRoot(), 'test', 'fixtures', 'model');
const f32 = (file: string) => {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

interface Samples {
  readonly flat_index: number[];
  readonly logits: number[][];
}

async function logitsOn(device: Device, weights: string, input: Float32Array, size: number): Promise<{ data: Float32Array; seconds: number[] }> {
  const network = await SegResNetSession.open(buildSegResNetOnnx(await readTorchStateDict(weights)).model, { splitHead: false, device });
  try {
    const seconds: number[] = [];
    let data: Float32Array = new Float32Array(0);
    for (let run = 0; run < 3; run++) {
      const t = performance.now();
      data = await networkLogits(network, { data: input, dims: [1, 1, size, size, size] });
      seconds.push((performance.now() - t) / 1000);
    }
    return { data, seconds };
  } finally {
    await network.close();
  }
}

/** Peak memory.used (MiB) over the GPUs while `work` runs, or null without nvidia-smi. */
async function peakGpuMemory<T>(work: () => Promise<T>): Promise<{ result: T; peakMiB: number | null }> {
  let peak: number | null = null;
  const sample = () =>
    new Promise<void>((resolve) => {
      const p = spawn('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.on('error', () => resolve());
      p.on('close', () => {
        const used = out.split('\n').map(Number).filter(Number.isFinite);
        if (used.length > 0) peak = Math.max(peak ?? 0, ...used);
        resolve();
      });
    });
  let running = true;
  const sampler = (async () => {
    while (running) {
      await sample();
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  try {
    return { result: await work(), peakMiB: peak };
  } finally {
    running = false;
    await sampler;
  }
}

async function main(): Promise<void> {
  console.log(`${cpuName()}, ${os.availableParallelism()} cores; ${new Date().toISOString()}`);
  const gpu = probeWebGpu();
  if (!gpu.available) {
    console.log(`WebGPU: no adapter (${gpu.reason}); nothing to check on this machine`);
    process.exitCode = 2;
    return;
  }
  // Parity: the repo's tiny model and MONAI's sampled logits (the CPU engines hold 1e-4 on these).
  const tiny = path.join(FIXTURES, 'segresnet105_tiny_seed1.pt');
  const input24 = f32(path.join(FIXTURES, 'tiny_input_24.f32'));
  const { data } = await logitsOn('webgpu', tiny, input24, 24);
  const samples = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'tiny_logits_samples.json'), 'utf8')) as Samples;
  let worst = 0;
  samples.flat_index.forEach((fi, k) => samples.logits[k]!.forEach((theirs, c) => (worst = Math.max(worst, Math.abs(data[c * 24 ** 3 + fi]! - theirs)))));
  const argmax = argmaxChannels(data, 105, 24 ** 3);
  const expected = new Uint8Array(fs.readFileSync(path.join(FIXTURES, 'tiny_argmax_u8.raw')));
  const argmaxEqual = argmax.every((v, i) => v === expected[i]);
  const parity = worst < 1e-4 && argmaxEqual;
  console.log(`parity (tiny SegResNet on WebGPU vs MONAI): max sampled logit difference ${worst.toExponential(2)} (limit 1e-4), argmax ${argmaxEqual ? 'identical' : 'DIFFERS'}: ${parity ? 'PASS' : 'FAIL'}`);
  // Speed: one 96^3 window, full logits, on WebGPU and on onnxruntime's CPU provider, in this run.
  const weights = (() => {
    try {
      return benchWeights(process.env.WBCT_GPU_CHECK_WEIGHTS);
    } catch {
      return tiny;
    }
  })();
  const input96 = new Float32Array(96 ** 3).map((_, i) => Math.sin(i * 1e-3) * 0.7);
  const onGpu = await peakGpuMemory(() => logitsOn('webgpu', weights, input96, 96));
  const onCpu = await logitsOn('cpu', weights, input96, 96);
  const steady = (s: number[]) => median(s.slice(1));
  console.log(`weights ${path.basename(weights)}: seconds per 96^3 window, WebGPU ${steady(onGpu.result.seconds).toFixed(3)} (first ${onGpu.result.seconds[0]!.toFixed(2)}), CPU ${steady(onCpu.seconds).toFixed(3)}; peak GPU memory ${onGpu.peakMiB ?? '?'} MiB`);
  let maxDiff = 0;
  for (let i = 0; i < onCpu.data.length; i += 997) maxDiff = Math.max(maxDiff, Math.abs(onCpu.data[i]! - onGpu.result.data[i]!));
  console.log(`WebGPU vs CPU on that window: max difference ${maxDiff.toExponential(2)} over every 997th logit`);
  if (!parity) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exitCode = 1;
});
