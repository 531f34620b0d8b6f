import * as path from 'node:path';
import { argmaxChannels } from '../../src/infer/argmax';
import { buildSegResNetOnnx } from '../../src/model/buildSegResNetOnnx';
import { networkLogits } from '../../src/model/networkLogits';
import { SegResNetSession } from '../../src/model/segresnetSession';
import type { Device } from '../../src/model/segmentationNetwork';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import type { StateDict } from '../../src/weights/tensor';
import { median } from '../benchUtil';
import { describeGpuMemory, peakGpuMemory } from './gpuMemory';
import { nodePlacement } from './nodePlacement';
import { syntheticBundleWeights } from './syntheticWeights';
import { TINY_SIZE, TINY_WEIGHTS, tinyInput, tinyLogitParity } from './tinyFixtures';

const RUNS = 4;

async function logitsOn(device: Device, model: Uint8Array, input: Float32Array, size: number): Promise<{ data: Float32Array; seconds: number[] }> {
  const network = await SegResNetSession.open(model, { splitHead: false, device });
  try {
    const seconds: number[] = [];
    let data: Float32Array = new Float32Array(0);
    for (let run = 0; run < RUNS; run++) {
      const t = performance.now();
      data = await networkLogits(network, { data: input, dims: [1, 1, size, size, size] });
      seconds.push((performance.now() - t) / 1000);
    }
    return { data, seconds };
  } finally {
    await network.close();
  }
}

const steady = (s: number[]) => median(s.slice(1));

/** Where the bundle-size timing's weights come from: the real model or the oracle's seed-0 when given, else seeded ones. */
export interface BundleWeights {
  readonly name: string;
  readonly load: () => Promise<StateDict>;
}

export function bundleWeights(file: string | undefined): BundleWeights {
  return file
    ? { name: path.basename(file), load: () => readTorchStateDict(file) }
    : { name: 'seeded bundle-size weights (bench/gpu/syntheticWeights)', load: () => Promise.resolve(syntheticBundleWeights()) };
}

/**
 * The inference path on onnxruntime `device`: the tiny SegResNet's logits against MONAI's (the parity), then one
 * bundle-size `window`^3 window, full logits, timed on `device` and (for webgpu) on the CPU provider in the same run,
 * with the GPU's peak memory and how far the two engines' logits lie apart. The parity's verdict is printed (and
 * returned) before the timing, so that a run cut short still has it.
 */
export async function checkInference(device: Device, weights: BundleWeights, window: number, log: (line: string) => void): Promise<boolean> {
  const tinyWeights = await readTorchStateDict(TINY_WEIGHTS);
  const { data } = await logitsOn(device, buildSegResNetOnnx(tinyWeights).model, tinyInput(), TINY_SIZE);
  const v = TINY_SIZE ** 3;
  const parity = tinyLogitParity((voxel, c) => data[c * v + voxel]!, argmaxChannels(data, 105, v));
  log(`parity, tiny SegResNet on onnxruntime ${device} vs MONAI: max sampled logit difference ${parity.worst.toExponential(2)} (limit 1e-4), argmax ${parity.argmaxEqual ? 'identical' : 'DIFFERS'}: ${parity.pass ? 'PASS' : 'FAIL'}`);
  log(`== infer: parity ${parity.pass ? 'PASS' : 'FAIL'}`);

  const sd = await weights.load();
  // One ONNX graph of the bundle-size network for the placement and both engines (75 MB to build).
  const model = buildSegResNetOnnx(sd).model;
  log(`onnxruntime ${device}, bundle-size network: ${nodePlacement(model, device)}`);
  const input = new Float32Array(window ** 3).map((_, i) => Math.sin(i * 1e-3) * 0.7);
  const onDevice = await peakGpuMemory(() => logitsOn(device, model, input, window));
  const s = onDevice.result.seconds;
  log(`${weights.name}, ${window}^3 window, full logits: ${device} ${steady(s).toFixed(3)} s per window (median of runs 2-${RUNS}; first ${s[0]!.toFixed(2)} s); ${describeGpuMemory(onDevice)}`);
  if (device !== 'cpu') {
    const onCpu = await logitsOn('cpu', model, input, window);
    let maxDiff = 0;
    for (let i = 0; i < onCpu.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(onCpu.data[i]! - onDevice.result.data[i]!));
    const a = argmaxChannels(onCpu.data, 105, window ** 3);
    const b = argmaxChannels(onDevice.result.data, 105, window ** 3);
    const agree = a.reduce((n, label, i) => n + (label === b[i] ? 1 : 0), 0) / a.length;
    log(`  cpu ${steady(onCpu.seconds).toFixed(3)} s per window in this run: ${device} is ${(steady(onCpu.seconds) / steady(s)).toFixed(1)}x the CPU provider`);
    log(`  ${device} vs cpu on that window: max logit difference ${maxDiff.toExponential(2)}, argmax agrees on ${(agree * 100).toFixed(4)} % of voxels`);
  }
  return parity.pass;
}
