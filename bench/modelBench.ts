/**
 * npm run bench:model [-- --weights file.pt] [--runs 3] [--threads 1,2] [--no-peer]
 * Seconds per 96^3 window of the bundle-size SegResNet (full logits, head included) on each engine and precision this
 * machine has, per thread count, beside the PyTorch peer's time for the same window in the same run
 * (ratio = peer / ours), with peak RSS.
 */
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { engineInfo } from '../src/model/engineInfo';
import { probeWebGpu } from '../src/model/webGpuProbe';
import { networkLogits } from '../src/model/networkLogits';
import { OneDnnSession } from '../src/model/dnnl/oneDnnSession';
import { buildSegResNetOnnx } from '../src/model/buildSegResNetOnnx';
import { SegResNetSession } from '../src/model/segresnetSession';
import type { SegmentationNetwork } from '../src/model/segmentationNetwork';
import { readTorchStateDict } from '../src/weights/readTorchStateDict';
import { benchWeights, cpuName, median, peakRssGiB, torchPeerSecondsPerWindow } from './benchUtil';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { weights: { type: 'string' }, runs: { type: 'string', default: '3' }, threads: { type: 'string', default: '1,2' }, 'no-peer': { type: 'boolean', default: false } },
  });
  const weights = benchWeights(values.weights);
  const runs = Number(values.runs);
  const t0 = performance.now();
  const sd = await readTorchStateDict(weights);
  const { model, spec } = buildSegResNetOnnx(sd);
  const dnnl = engineInfo('auto');
  console.log(`${cpuName()}, ${os.availableParallelism()} cores; weights ${weights}: init_filters ${spec.initFilters}, ${spec.outChannels} classes; read + convert ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (dnnl.note) console.log(`oneDNN not measured: ${dnnl.note}`);
  const configs: Array<{ name: string; open: (threads: number) => Promise<SegmentationNetwork> }> = [
    { name: 'onnxruntime fp32', open: (threads) => SegResNetSession.open(model, { threads, splitHead: false }) },
  ];
  const gpu = probeWebGpu();
  if (gpu.available) configs.push({ name: 'onnxruntime webgpu fp32', open: (threads) => SegResNetSession.open(model, { threads, splitHead: false, device: 'webgpu' }) });
  else console.log(`WebGPU not measured: ${gpu.reason}`);
  if (dnnl.engine === 'onednn') {
    for (const precision of dnnl.precisions) {
      configs.push({ name: `onednn ${precision}`, open: (threads) => OneDnnSession.open(sd, { threads, precision, splitHead: false }) });
    }
  }
  const input = new Float32Array(96 ** 3).map((_, i) => Math.sin(i * 1e-3) * 0.7);
  const batch = { data: input, dims: [1, 1, 96, 96, 96] as const };
  for (const threads of values.threads.split(',').map(Number)) {
    const timings: Array<[string, number]> = [];
    for (const config of configs) {
      const network = await config.open(threads);
      await networkLogits(network, batch); // warm-up: allocations, kernel selection, weight reorders
      if (network instanceof OneDnnSession) console.log(`  ${config.name} kernels: ${[...new Set(network.implementations().map((i) => i.split(': ')[1]))].join(', ')}`);
      const times: number[] = [];
      for (let r = 0; r < runs; r++) {
        const t = performance.now();
        await networkLogits(network, batch);
        times.push((performance.now() - t) / 1000);
      }
      await network.close();
      timings.push([`${config.name} (${network.description})`, median(times)]);
      console.log(`${config.name}, ${threads} thread(s): ${median(times).toFixed(2)} s per 96^3 window (median of ${runs}: ${times.map((t) => t.toFixed(2)).join(', ')}); peak RSS so far ${peakRssGiB().toFixed(2)} GiB`);
    }
    const peer = values['no-peer'] ? undefined : torchPeerSecondsPerWindow(weights, [96, 96, 96], threads);
    if (peer) {
      console.log(`torch peer, ${threads} thread(s): ${peer.secPerWindow.toFixed(2)} s per window (${peer.line.split('\n').pop()})`);
      for (const [name, s] of timings) console.log(`  ${name}: ${(peer.secPerWindow / s).toFixed(2)}x the peer's speed`);
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
