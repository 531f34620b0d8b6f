import { spawn } from 'node:child_process';

/** Peak memory.used (MiB) over the GPUs while `work` runs, sampled from nvidia-smi every 200 ms; null without nvidia-smi. */
export async function peakGpuMemory<T>(work: () => Promise<T>): Promise<{ result: T; peakMiB: number | null }> {
  let peak: number | null = null;
  const sample = () =>
    new Promise<void>((resolve) => {
      const p = spawn('nvidia-smi', ['--query-gpu=memory.used', '--format=csv,noheader,nounits'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.on('error', () => resolve());
      p.on('close', () => {
        const used = out.split('\n').filter((l) => l.trim() !== '').map(Number).filter(Number.isFinite);
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
