import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TrainSample } from '../src/train-bridge/segResNetTrainer';
import { projectRoot } from '../src/util/projectRoot';

/** Peak resident set size of this process so far, in GiB (getrusage maxrss). */
export function peakRssGiB(): number {
  return (process.resourceUsage().maxRSS * 1024) / 2 ** 30;
}

export function sharedDir(): string {
  return process.env.WBCT_SHARED ?? path.resolve(projectRoot(), '..', 'shared');
}

/** The bundle-size seed-0 weights from the oracle, or the real highres model when present. */
export function benchWeights(explicit?: string): string {
  const candidates = [explicit, path.join(sharedDir(), 'oracle', 'segresnet105_seed0.pt'), path.join(projectRoot(), 'models', 'model.pt')];
  const found = candidates.find((c) => c && fs.existsSync(c));
  if (!found) throw new Error(`no weights found (tried ${candidates.filter(Boolean).join(', ')}); pass --weights`);
  return found;
}

/**
 * Runs the PyTorch peer (../shared/peer/torch_segresnet.py, Debian python3-torch) on the same machine and returns
 * its seconds per window, or undefined (with the reason printed) when it cannot run.
 */
export function torchPeerSecondsPerWindow(weights: string, dims: [number, number, number], threads: number): { secPerWindow: number; line: string } | undefined {
  const script = path.join(sharedDir(), 'peer', 'torch_segresnet.py');
  try {
    const out = execFileSync('/usr/bin/python3', [script, weights, ...dims.map(String), '--threads', String(threads)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const m = /\(([\d.]+) s\/window\)/.exec(out);
    return m ? { secPerWindow: Number(m[1]), line: out.trim() } : undefined;
  } catch (e) {
    console.log(`torch peer not run: ${(e as Error).message.split('\n')[0]}`);
    return undefined;
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s[Math.floor(s.length / 2)];
  if (m === undefined) throw new RangeError('median of no values');
  return m;
}

/** The CPU model, for every printed figure (these machines change CPU between days). */
export function cpuName(): string {
  return os.cpus()[0]?.model.trim() ?? 'unknown CPU';
}

/** A roi^3 training window: a smooth image (`phase` makes others) and a few classes in slabs, like a partial annotation. */
export function syntheticTrainSample(roi: number, phase = 0): TrainSample {
  const n = roi ** 3;
  const window = new Float32Array(n).map((_, i) => Math.sin(i * 1e-3 + phase) * 0.7);
  const slabs = [0, 1, 5, 18];
  const labels = Uint8Array.from({ length: n }, (_, i) => slabs[Math.floor((i / n) * slabs.length)]!); // i < n: an index < slabs.length
  return { window, labels, dims: [roi, roi, roi] };
}
