import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/util/projectRoot';
import { benchWeights, cpuName, sharedDir } from './benchUtil';

/**
 * Jobs per minute through `wbct serve --queue` and N `wbct worker` processes on this machine, against the same
 * requests served in process (no queue), plus what each job costs in Redis commands and HTTP bytes:
 *   npm run bench:scale -- [--jobs 12] [--workers 1,2] [--weights f.pt]
 * Each run: a fresh redis-server, coordinator and workers; the head CT segmented lowres `--jobs` times, all submitted
 * at once (the coordinator allows that many per client).
 */
const CLI = path.join(projectRoot(), 'dist', 'src', 'cli', 'main.js');
const MODEL = 'wholeBody_ct_segmentation';
const TOKEN = 'scale-bench-worker-credential-01';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function started(child: ChildProcess, marker: RegExp, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${text}`)), 60_000);
    child.stderr?.on('data', (d: Buffer) => {
      text += d.toString();
      const m = marker.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1] ?? '');
      }
    });
    child.once('exit', () => reject(new Error(`${what} exited:\n${text}`)));
  });
}

async function redisCalls(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write('INFO commandstats\r\n'));
    let text = '';
    socket.on('data', (d) => {
      text += d.toString();
      if (text.includes('\r\n\r\n') || /cmdstat_[\s\S]*\r\n$/.test(text)) {
        socket.destroy();
        resolve([...text.matchAll(/calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0));
      }
    });
    socket.on('error', reject);
  });
}

interface RunResult {
  readonly label: string;
  readonly seconds: number;
  readonly jobsPerMinute: number;
  readonly redisCallsPerJob?: number;
}

async function runOnce(opts: { jobs: number; workers: number | null; weights: string; root: string }): Promise<RunResult> {
  const dir = fs.mkdtempSync(path.join(opts.root, 'run-'));
  const studies = path.join(dir, 'studies');
  const models = path.join(dir, 'models');
  fs.mkdirSync(studies);
  fs.mkdirSync(models);
  fs.copyFileSync(path.join(sharedDir(), 'oracle', 'cranium_ct.nii.gz'), path.join(studies, 'cranium_ct.nii.gz'));
  for (const name of ['model.pt', 'model_lowres.pt']) fs.copyFileSync(opts.weights, path.join(models, name));
  const children: ChildProcess[] = [];
  const spawnNode = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    return child;
  };
  try {
    let redisPort: number | undefined;
    const serveArgs = ['serve', '--studies', studies, '--models', models, '--port', '0', '--no-pull', '--max-requests-per-client', String(opts.jobs + 1)];
    if (opts.workers !== null) {
      redisPort = await freePort();
      const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: ['ignore', 'pipe', 'ignore'] });
      children.push(redis);
      await new Promise((r) => setTimeout(r, 300));
      serveArgs.push('--queue', `redis://127.0.0.1:${redisPort}`, '--threads', '1');
    } else {
      serveArgs.push('--max-queued-infers', String(opts.jobs));
    }
    const server = spawnNode(serveArgs, { WBCT_WORKER_TOKEN: TOKEN });
    const url = await started(server, /wbct serving .* at (http:\/\/\S+)/, 'wbct serve');
    const threadsEach = opts.workers === null ? os.availableParallelism() : Math.max(1, Math.floor(os.availableParallelism() / opts.workers));
    for (let i = 0; i < (opts.workers ?? 0); i++) {
      const w = spawnNode(['worker', '--queue', `redis://127.0.0.1:${redisPort}`, '--server', url, '--name', `w${i + 1}`, '--threads', String(threadsEach), '--cache', path.join(dir, `cache-${i}`)], { WBCT_WORKER_TOKEN: TOKEN });
      await started(w, /(taking jobs)/, `worker ${i + 1}`);
    }
    const request = () => {
      const form = new FormData();
      form.append('params', JSON.stringify({ highres: false }));
      return fetch(`${url}/infer/${MODEL}?image=cranium_ct&output=json`, { method: 'POST', body: form }).then(async (r) => {
        if (r.status !== 200) throw new Error(`infer answered ${r.status}: ${await r.text()}`);
      });
    };
    await request(); // warm-up: weights read and converted, caches filled
    const calls0 = redisPort === undefined ? 0 : await redisCalls(redisPort);
    const t0 = performance.now();
    await Promise.all(Array.from({ length: opts.jobs }, request));
    const seconds = (performance.now() - t0) / 1000;
    const calls = redisPort === undefined ? undefined : ((await redisCalls(redisPort)) - calls0) / opts.jobs;
    const label = opts.workers === null ? `in process (no queue), ${threadsEach} threads` : `${opts.workers} worker${opts.workers > 1 ? 's' : ''} x ${threadsEach} thread${threadsEach > 1 ? 's' : ''}`;
    return { label, seconds, jobsPerMinute: (opts.jobs * 60) / seconds, redisCallsPerJob: calls };
  } finally {
    for (const c of children.reverse()) c.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { jobs: { type: 'string', default: '12' }, workers: { type: 'string', default: '1,2' }, weights: { type: 'string' } } });
  const jobs = Number(values.jobs);
  const weights = benchWeights(values.weights);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-scale-bench-'));
  console.log(`${cpuName()}, ${os.availableParallelism()} cores; ${jobs} lowres jobs of the head CT (256x256x108), weights ${path.basename(weights)}`);
  try {
    const runs: RunResult[] = [await runOnce({ jobs, workers: null, weights, root })];
    for (const n of values.workers.split(',').map(Number)) runs.push(await runOnce({ jobs, workers: n, weights, root }));
    console.log('| setup | seconds for all | jobs per minute | Redis commands per job |');
    console.log('|---|---|---|---|');
    for (const r of runs) console.log(`| ${r.label} | ${r.seconds.toFixed(1)} | ${r.jobsPerMinute.toFixed(1)} | ${r.redisCallsPerJob === undefined ? '-' : r.redisCallsPerJob.toFixed(0)} |`);
    const image = fs.statSync(path.join(sharedDir(), 'oracle', 'cranium_ct.nii.gz')).size;
    console.log(`HTTP per job: the image (${(image / 2 ** 20).toFixed(1)} MiB here) to the worker, the label back; weights once per worker and model version (${(fs.statSync(weights).size / 2 ** 20).toFixed(0)} MiB).`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
