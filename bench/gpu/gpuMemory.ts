import { spawn } from 'node:child_process';

const QUERY = ['--query-gpu=memory.used', '--format=csv,noheader,nounits'];

/** Readings (MiB, one per GPU per sample) in nvidia-smi's output. */
const readings = (out: string) => out.split('\n').filter((l) => l.trim() !== '').map(Number).filter(Number.isFinite);

/** The busiest GPU's memory in use now, or null without nvidia-smi. */
function usedNow(): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn('nvidia-smi', QUERY, { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', () => resolve(null));
    p.on('close', () => {
      const used = readings(out);
      resolve(used.length > 0 ? Math.max(...used) : null);
    });
  });
}

/**
 * GPU memory in use before `work` and at its peak while it runs (the busiest GPU). nvidia-smi samples by itself
 * every 100 ms (`-lms`) in a child process: onnxruntime-node runs a session synchronously on this thread, so an
 * in-process timer would see nothing while a window runs.
 */
export async function peakGpuMemory<T>(work: () => Promise<T>): Promise<{ result: T; baselineMiB: number | null; peakMiB: number | null }> {
  const baselineMiB = await usedNow();
  if (baselineMiB === null) return { result: await work(), baselineMiB, peakMiB: null };
  const sampler = spawn('nvidia-smi', [...QUERY, '-lms', '100'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  sampler.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => sampler.on('close', () => resolve()));
  let result: T;
  try {
    result = await work();
    await new Promise((r) => setTimeout(r, 250)); // the last samples of the work
  } finally {
    sampler.kill();
    await exited;
  }
  const used = readings(out);
  return { result, baselineMiB, peakMiB: used.length > 0 ? Math.max(...used) : null };
}

/** "peak P MiB (B MiB before)" or why there is no figure. */
export function describeGpuMemory(m: { baselineMiB: number | null; peakMiB: number | null }): string {
  return m.peakMiB === null ? 'peak GPU memory ? (no nvidia-smi)' : `peak GPU memory ${m.peakMiB} MiB (${m.baselineMiB} MiB before)`;
}
