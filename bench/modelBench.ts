/**
 * npm run bench:model [-- --weights file.pt] [--runs 3] [--threads 1,2] [--no-peer]
 * Seconds per 96^3 window of the bundle-size SegResNet on onnxruntime's CPU provider, per thread count, and the
 * PyTorch peer's time for the same window on the same machine (ratio = torch / onnxruntime).
 */
import { parseArgs } from 'node:util';
import { buildSegResNetOnnx } from '../src/model/buildSegResNetOnnx';
import { SegResNetSession } from '../src/model/segresnetSession';
import { readTorchStateDict } from '../src/weights/readTorchStateDict';
import { benchWeights, median, peakRssGiB, torchPeerSecondsPerWindow } from './benchUtil';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { weights: { type: 'string' }, runs: { type: 'string', default: '3' }, threads: { type: 'string', default: '1,2' }, 'no-peer': { type: 'boolean', default: false } },
  });
  const weights = benchWeights(values.weights);
  const runs = Number(values.runs);
  const t0 = performance.now();
  const { model, spec } = buildSegResNetOnnx(await readTorchStateDict(weights));
  console.log(`weights ${weights}: init_filters ${spec.initFilters}, ${spec.outChannels} classes; read + convert ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const input = new Float32Array(96 ** 3).map((_, i) => Math.sin(i * 1e-3) * 0.7);
  for (const threads of values.threads.split(',').map(Number)) {
    const session = await SegResNetSession.open(model, { threads, splitHead: false });
    await session.predict({ data: input, dims: [1, 1, 96, 96, 96] }); // warm-up: allocations, kernel selection
    const times: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      await session.predict({ data: input, dims: [1, 1, 96, 96, 96] });
      times.push((performance.now() - t) / 1000);
    }
    await session.close();
    const ort = median(times);
    let line = `onnxruntime ${threads} thread(s): ${ort.toFixed(2)} s per 96^3 window (median of ${runs}: ${times.map((t) => t.toFixed(2)).join(', ')}); peak RSS so far ${peakRssGiB().toFixed(2)} GiB`;
    if (!values['no-peer']) {
      const peer = torchPeerSecondsPerWindow(weights, [96, 96, 96], threads);
      if (peer) line += `\n  torch peer ${threads} thread(s): ${peer.secPerWindow.toFixed(2)} s per window -> onnxruntime is ${(peer.secPerWindow / ort).toFixed(2)}x faster`;
    }
    console.log(line);
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
