import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeImage } from '../../src/io';
import { sha256OfFile } from '../../src/util/fileChecksum';
import { startServerProcess, tempRoot, type ServerProcess } from '../reliability/harness/serverProcess';
import { TINY_MODEL } from '../server/harness/realRunner';
import { testImage } from '../server/harness/imageFiles';
import { describeWithOracle, ORACLE_DIR } from '../helpers/oracle';
import { waitFor } from '../helpers/waitFor';
import { freePort } from '../helpers/freePort';
import { describeWithRedis, TestRedis } from './harness/redisServer';
import { startWorker, type WorkerProcess } from './harness/workerProcess';

/**
 * `wbct serve --queue` with real `wbct worker` processes on a real redis-server, the tiny weights: spreading, kill -9,
 * cancel, batch, model versions; Redis and the coordinator going away.
 */
const MODEL = 'wholeBody_ct_segmentation';
const TOKEN = 'worker-credential-for-tests-0123';
const OTHER_WEIGHTS = path.join(ORACLE_DIR, 'segresnet105_tiny_seed1_gnrand.pt');

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function infer(server: ServerProcess, image: string, params: Record<string, unknown>, query = '', signal?: AbortSignal): Promise<Answer> {
  const form = new FormData();
  form.append('params', JSON.stringify(params));
  const res = await fetch(`${server.url}/infer/${MODEL}?image=${image}&output=json${query}`, { method: 'POST', body: form, signal });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function getJson<T>(server: ServerProcess, url: string): Promise<T> {
  return (await (await fetch(`${server.url}${url}`)).json()) as T;
}

interface WorkerView {
  name: string;
  current_job: string | null;
  jobs_done: number;
  threads: number;
}

async function studiesWith(root: string, smallImages: number, withCt: boolean): Promise<string> {
  const studies = path.join(root, 'studies');
  fs.mkdirSync(studies, { recursive: true });
  for (let i = 0; i < smallImages; i++) await writeImage(path.join(studies, `small-${String(i).padStart(2, '0')}.nii.gz`), testImage([40, 36, 28]));
  if (withCt) fs.copyFileSync(path.join(ORACLE_DIR, 'cranium_ct.nii.gz'), path.join(studies, 'cranium_ct.nii.gz'));
  return studies;
}

function coordinator(redis: TestRedis, studies: string, models: string, port = 0): Promise<ServerProcess> {
  // A coordinator serves many clients' requests at once: the per-client cap (3 by default) is raised for the tests' one client.
  return startServerProcess({ studiesDir: studies, modelsDir: models, args: ['--queue', redis.url, '--attempts', '3', '--port', String(port), '--max-requests-per-client', '32'], env: { WBCT_WORKER_TOKEN: TOKEN } });
}

describeWithOracle('distributed inference', () => {
  describeWithRedis('wbct serve --queue with wbct worker processes', () => {
    let root: string;
    let redis: TestRedis;
    let server: ServerProcess;
    const workers: WorkerProcess[] = [];
    const addWorker = async (name: string) => {
      const w = await startWorker({ name, queue: redis.url, server: server.url, token: TOKEN, cacheDir: path.join(root, `cache-${name}`) });
      workers.push(w);
      return w;
    };

    beforeAll(async () => {
      root = tempRoot('wbct-scale-');
      redis = await TestRedis.start(path.join(root, 'redis'));
      server = await coordinator(redis, await studiesWith(root, 10, true), path.join(root, 'models'));
      await addWorker('w1');
      await addWorker('w2');
    }, 120_000);
    afterAll(async () => {
      await Promise.all(workers.map((w) => w.kill9()));
      await server?.stop();
      await redis?.stop();
      fs.rmSync(root, { recursive: true, force: true });
    });

    test('jobs spread over two workers; each answer names its worker and the model version; GET /workers/ lists them', async () => {
      await waitFor(async () => (await getJson<WorkerView[]>(server, '/workers/')).length === 2, { what: 'both workers to report', timeoutMs: 20_000, intervalMs: 100 });
      // A client's job_id never names a Redis key: all digits (which BullMQ refuses as an id) works as anywhere else.
      const answers = await Promise.all([0, 1, 2, 3].map((i) => infer(server, `small-0${i}`, { highres: false }, i === 0 ? '&job_id=12345678' : '')));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
      expect(new Set(answers.map((a) => a.body.worker))).toEqual(new Set(['w1', 'w2']));
      const version = await sha256OfFile(TINY_MODEL);
      expect(answers.every((a) => a.body.model_version === version)).toBe(true);
      expect(Object.keys(answers[0]!.body.label_names as object)).toHaveLength(104);
      const listed = await waitFor(async () => {
        const list = await getJson<WorkerView[]>(server, '/workers/');
        return list.reduce((n, w) => n + w.jobs_done, 0) === 4 && list;
      }, { what: 'the workers to report 4 jobs done', timeoutMs: 20_000, intervalMs: 200 });
      expect(listed.map((w) => [w.name, w.threads, w.current_job])).toEqual([
        ['w1', 1, null],
        ['w2', 1, null],
      ]);
    });

    test('a worker killed with kill -9 during a job: the job runs again on the other worker and the request completes', async () => {
      const jobId = 'killed-worker-job-1';
      const answer = infer(server, 'cranium_ct', { highres: true, sw_overlap: 0.5 }, `&job_id=${jobId}`);
      const runner = await waitFor(async () => (await getJson<WorkerView[]>(server, '/workers/')).find((w) => w.current_job === jobId)?.name, { what: 'a worker to take the job', timeoutMs: 30_000, intervalMs: 100 });
      const victim = workers.find((w) => w.name === runner)!;
      await victim.kill9();
      workers.splice(workers.indexOf(victim), 1);
      const done = await answer;
      expect(done.status).toBe(200);
      expect(done.body.worker).not.toBe(runner);
      expect((await getJson<{ state: string }>(server, `/infer/jobs/${jobId}`)).state).toBe('done');
      await addWorker('w3');
    }, 180_000);

    test('a client that disconnects cancels its job: the worker stops it and takes the next job', async () => {
      const jobId = 'disconnected-client-1';
      const client = new AbortController();
      const gone = infer(server, 'cranium_ct', { highres: true, sw_overlap: 0.5 }, `&job_id=${jobId}`, client.signal).catch((e: unknown) => e);
      const runner = await waitFor(async () => (await getJson<WorkerView[]>(server, '/workers/')).find((w) => w.current_job === jobId)?.name, { what: 'a worker to take the job', timeoutMs: 30_000, intervalMs: 100 });
      // Progress flows back from the worker: the job is at window n of N on the coordinator's progress API.
      const view = await waitFor(async () => {
        const job = await getJson<{ state: string; position: number; stage: string; done: number; total: number }>(server, `/infer/jobs/${jobId}`);
        return job.stage === 'infer' && job.done >= 1 && job;
      }, { what: 'the worker\'s progress to reach the coordinator', timeoutMs: 30_000, intervalMs: 100 });
      expect(view).toMatchObject({ state: 'running', position: 0 });
      expect(view.total).toBeGreaterThan(1);
      client.abort();
      await gone;
      const worker = workers.find((w) => w.name === runner)!;
      await waitFor(() => new RegExp(`job ${jobId}\\.[0-9a-f]+: cancelled`).test(worker.log()), { what: 'the worker to cancel the job', timeoutMs: 30_000, intervalMs: 100, detail: () => `${worker.log()}\n--- coordinator:\n${server.stderr().split('\n').filter((l) => !l.includes('heartbeat')).slice(-30).join('\n')}` });
      expect((await getJson<{ state: string }>(server, `/infer/jobs/${jobId}`)).state).toBe('cancelled');
      // The worker killed above stays listed (as "lost") with its last job; the live ones go idle.
      const live = (list: WorkerView[]) => list.filter((w) => workers.some((p) => p.name === w.name));
      await waitFor(async () => live(await getJson<WorkerView[]>(server, '/workers/')).every((w) => w.current_job === null), { what: 'every live worker to be idle', timeoutMs: 30_000, intervalMs: 200 });
      expect((await getJson<(WorkerView & { state: string })[]>(server, '/workers/')).filter((w) => w.state === 'lost').length).toBeLessThanOrEqual(1);
    }, 120_000);

    test('a batch of 11 images over 3 workers: every label stored once, by several workers', async () => {
      await addWorker('w4');
      expect(workers).toHaveLength(3);
      const res = await fetch(`${server.url}/batch/infer/${MODEL}?images=unlabeled&run_sync=true`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ highres: false }) });
      expect(res.status).toBe(200);
      const task = (await res.json()) as { status: string; result: { total: number; done: number; failed: string[] } };
      expect(task.result).toEqual({ total: 11, done: 11, failed: [] });
      const dump = await getJson<{ objects: Record<string, { labels: Record<string, { info: { params?: { worker?: string } } }> }> }>(server, '/datastore/?output=all');
      const byWorker = Object.values(dump.objects).map((o) => o.labels.original?.info.params?.worker);
      expect(byWorker.every((w) => typeof w === 'string')).toBe(true);
      expect(new Set(byWorker).size).toBeGreaterThanOrEqual(2);
      expect(fs.readdirSync(path.join(root, 'studies', 'labels', 'original'))).toHaveLength(11);
      expect((server.stderr().match(/label stored for a job/g) ?? []).length).toBe(11);
    }, 180_000);

    test('a new model version on the coordinator is what the workers run next (downloaded, verified, cached)', async () => {
      fs.copyFileSync(OTHER_WEIGHTS, path.join(root, 'models', 'model_lowres.pt'));
      const version = await sha256OfFile(OTHER_WEIGHTS);
      const answer = await infer(server, 'small-00', { highres: false });
      expect(answer.status).toBe(200);
      expect(answer.body.model_version).toBe(version);
      const cache = path.join(root, `cache-${answer.body.worker as string}`, 'weights');
      expect(fs.readdirSync(cache).filter((f) => f.endsWith('.pt')).sort()).toContain(`${version}.pt`);
    }, 120_000);

    test('the worker endpoints take only the worker credential', async () => {
      for (const auth of [undefined, 'Bearer wrong-credential-000000000', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`]) {
        const res = await fetch(`${server.url}/worker/heartbeat`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...(auth ? { Authorization: auth } : {}) }, body: '{}' });
        expect(res.status).toBe(401);
        expect(((await res.json()) as { detail: string }).detail).toMatch(/worker credential/);
      }
    });
  });

  describeWithRedis('the queue and the coordinator going away', () => {
    let root: string;
    let redis: TestRedis;
    let server: ServerProcess;
    let worker: WorkerProcess;
    beforeAll(async () => {
      root = tempRoot('wbct-scale-outage-');
      redis = await TestRedis.start(path.join(root, 'redis'));
    }, 60_000);
    afterAll(async () => {
      await worker?.kill9();
      await server?.stop();
      await redis?.stop();
      fs.rmSync(root, { recursive: true, force: true });
    });

    test('Redis stopped: 503 QUEUE_UNAVAILABLE naming the queue; back: inference resumes without a restart', async () => {
      server = await coordinator(redis, await studiesWith(root, 6, false), path.join(root, 'models'), await freePort());
      worker = await startWorker({ name: 'w1', queue: redis.url, server: server.url, token: TOKEN, cacheDir: path.join(root, 'cache') });
      expect((await infer(server, 'small-00', { highres: false })).status).toBe(200);
      await redis.stop();
      const refused = await waitFor(async () => {
        const a = await infer(server, 'small-00', { highres: false });
        return a.status === 503 && a;
      }, { what: 'the coordinator to notice Redis is gone', timeoutMs: 15_000, intervalMs: 200 });
      expect(refused.body.detail).toMatch(new RegExp(`The job queue at redis://127.0.0.1:${redis.port}/? is not reachable .*inference resumes when it is back`));
      await redis.startAgain();
      await waitFor(async () => (await infer(server, 'small-00', { highres: false })).status === 200, { what: 'inference to resume', timeoutMs: 60_000, intervalMs: 500 });
      expect(server.alive()).toBe(true);
    }, 180_000);

    test('the coordinator killed during a batch: the queued jobs finish and the restarted coordinator stores every label once', async () => {
      // One worker, so that most of the batch is still queued when the coordinator dies.
      const res = await fetch(`${server.url}/batch/infer/${MODEL}?images=unlabeled`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ highres: false }) });
      expect(res.status).toBe(200);
      await waitFor(async () => (await getJson<{ state: string }[]>(server, '/infer/jobs/')).filter((j) => j.state === 'queued' || j.state === 'running').length >= 5, {
        what: 'the batch to be queued',
        timeoutMs: 20_000,
        intervalMs: 50,
      });
      const port = new URL(server.url).port;
      const before = server.stderr();
      await server.kill9();
      server = await coordinator(redis, path.join(root, 'studies'), path.join(root, 'models'), Number(port));
      const labels = path.join(root, 'studies', 'labels', 'original');
      await waitFor(() => fs.existsSync(labels) && fs.readdirSync(labels).length === 6, { what: 'all 6 labels to be stored', timeoutMs: 120_000, intervalMs: 500 });
      const stored = [...`${before}\n${server.stderr()}`.matchAll(/label stored for a job \{"job":"([^"]+)","image":"([^"]+)"/g)].map((m) => m[2]);
      expect(stored.sort()).toEqual(['small-00', 'small-01', 'small-02', 'small-03', 'small-04', 'small-05']);
    }, 240_000);
  });
});
