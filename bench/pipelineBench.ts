/**
 * npm run bench [-- --only lowres|highres] [--threads N] [--runs onednn:fp32,onednn:bf16,onnxruntime:fp32] [--peer] [--weights file.pt]
 * Whole-pipeline runs (load to written labels) on a CT-sized synthetic scan (512x512x397, 0.84/0.84/1.5 mm) with the
 * bundle-size seed-0 weights, for each engine:precision: per-stage latencies, windows per second and peak RSS of
 * each run (each in its own process). --peer also times the PyTorch peer's bare sliding window over the same
 * resampled size in the same run and prints each run's time as a ratio to it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Resolution } from '../src/apps/totalseg/bundleRecipe';
import { engineInfo } from '../src/model/engineInfo';
import { SegmentResult } from '../src/infer/segmentTypes';
import { benchWeights, cpuName, torchPeerSecondsPerWindow } from './benchUtil';
import { writeSyntheticCt } from './syntheticCt';

const RESOLUTIONS: readonly Resolution[] = ['lowres', 'highres'];
const RESAMPLED: Record<Resolution, [number, number, number]> = { lowres: [144, 144, 199], highres: [287, 287, 397] };
const BUDGET_GIB: Record<Resolution, number> = { lowres: 2, highres: 3 };

/** The resolutions to run: both, or the one `--only` names. */
function resolutionsToRun(only: string | undefined): Resolution[] {
  if (only === undefined) return [...RESOLUTIONS];
  const named = RESOLUTIONS.find((r) => r === only);
  if (named === undefined) throw new Error(`--only must be one of ${RESOLUTIONS.join(', ')}, got ${only}`);
  return [named];
}

/** engine:precision pairs; by default every precision of the engine `auto` picks here. */
function runsToDo(runs: string | undefined): Array<[string, string]> {
  if (runs) return runs.split(',').map((r) => r.split(':') as [string, string]);
  const info = engineInfo('auto');
  return info.precisions.map((p) => [info.engine, p]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { only: { type: 'string' }, threads: { type: 'string' }, runs: { type: 'string' }, peer: { type: 'boolean', default: false }, weights: { type: 'string' } },
  });
  const weights = benchWeights(values.weights);
  const threads = values.threads ?? String(os.availableParallelism());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-bench-'));
  try {
    const input = path.join(dir, 'synthetic_ct.nii.gz');
    await writeSyntheticCt(input);
    console.log(`${cpuName()}, ${os.availableParallelism()} cores; input 512x512x397 int16 (0.84/0.84/1.5 mm), weights ${weights}, ${threads} thread(s)`);
    for (const resolution of resolutionsToRun(values.only)) {
      const totals: Array<[string, number, number]> = [];
      for (const [engine, precision] of runsToDo(values.runs)) {
        const out = execFileSync(process.execPath, [path.join(__dirname, 'pipelineRun.js'), input, path.join(dir, `${resolution}.nii.gz`), resolution, weights, threads, engine, precision], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'inherit'],
          maxBuffer: 1 << 24,
        });
        const r = JSON.parse(out.trim().split('\n').pop()!) as SegmentResult & { windows: number };
        const l = r.latencies;
        const gib = r.peakRssBytes / 2 ** 30;
        const model = r.modelSeconds;
        const pct = (s: number) => `${((s / l.total) * 100).toFixed(1)}%`;
        console.log(
          `${resolution} on ${r.engine}: ${r.windows} windows, ${(r.windows / l.infer).toFixed(3)} windows/s; pre ${l.pre.toFixed(1)} s, infer ${l.infer.toFixed(1)} s ` +
            `(network ${model.toFixed(1)} s, blend + head ${(l.infer - model).toFixed(1)} s), invert ${l.invert.toFixed(2)} s, post ${l.post.toFixed(2)} s, ` +
            `write ${l.write.toFixed(2)} s, total ${l.total.toFixed(1)} s\n  share of the total: network ${pct(model)}, blend + head ${pct(l.infer - model)}, ` +
            `pre/invert/post/write ${pct(l.total - l.infer)}; peak RSS ${gib.toFixed(2)} GiB (budget ${BUDGET_GIB[resolution]} GiB)`,
        );
        totals.push([`${engine} ${precision}`, l.total, r.windows]);
      }
      if (values.peer) {
        const peer = torchPeerSecondsPerWindow(weights, RESAMPLED[resolution], Number(threads));
        if (peer) {
          console.log(`  torch peer (bare sliding window, same grid): ${peer.line}`);
          const peerSeconds = Number(/in ([\d.]+) s/.exec(peer.line)?.[1] ?? NaN);
          for (const [name, total] of totals) console.log(`  ${resolution} ${name}: whole request ${total.toFixed(1)} s = ${(total / peerSeconds).toFixed(2)}x the peer's ${peerSeconds.toFixed(1)} s`);
        }
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
