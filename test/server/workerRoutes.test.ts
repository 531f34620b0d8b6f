import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import type { InferBackend, WorkerPortal, WorkerStatus } from '../../src/core/inferBackend';
import type { JsonObject } from '../../src/core/json';
import { ApiError } from '../../src/core/errors';
import { authConfigFor, loginAll, type TestUser } from './authTestUsers';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { startTestServer, type TestServer } from './harness/testServer';

/** The worker endpoints (`/worker/...`) against a recording portal: the credential, and what a worker may send. */
const TOKEN = 'the-worker-credential-0123456789';

class RecordingPortal implements WorkerPortal, InferBackend {
  readonly parallelism = 8;
  readonly completed: { jobId: string; name: string; params: JsonObject; bytes: Buffer }[] = [];
  readonly beats: Omit<WorkerStatus, 'lastSeen'>[] = [];
  constructor(readonly file: string) {}
  authorizes(header: string | undefined): boolean {
    return header === `Bearer ${TOKEN}`;
  }
  imageFor(jobId: string) {
    if (jobId !== 'job-with-image') return Promise.reject(new ApiError('JOB_NOT_FOUND', `no queued job "${jobId}"`));
    return Promise.resolve({ path: this.file, name: 'image.nii.gz' });
  }
  weightsFor(checksum: string) {
    return Promise.reject(new ApiError('MODEL_FILE_MISSING', `no weights with SHA-256 ${checksum}`));
  }
  async complete(jobId: string, labelTempPath: string, name: string, params: JsonObject) {
    this.completed.push({ jobId, name, params, bytes: await fs.promises.readFile(labelTempPath) });
  }
  heartbeat(status: Omit<WorkerStatus, 'lastSeen'>) {
    this.beats.push(status);
  }
  workers(): WorkerStatus[] {
    return this.beats.map((b) => ({ ...b, lastSeen: new Date().toISOString() }));
  }
  run(): never {
    throw new Error('not used here');
  }
  positionOf() {
    return null;
  }
  order() {
    return [];
  }
  close() {
    return Promise.resolve();
  }
}

describe('worker endpoints', () => {
  const USERS = [{ username: 'root', password: 'root-password-1', roles: ['admin'] }] as const satisfies readonly TestUser[];
  let t: TestServer;
  let portal: RecordingPortal;
  let admin: string;
  let imageBytes: Buffer;
  const worker = { Authorization: `Bearer ${TOKEN}` };

  beforeAll(async () => {
    // The portal serves a file of the test server's scratch folder; the server is started with the portal.
    const scratch = await startTestServer({ segmenter: new GridCopySegmenter() });
    const image = await scratch.imageFile('image.nii.gz');
    imageBytes = fs.readFileSync(image);
    portal = new RecordingPortal(path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-portal-')), 'image.nii.gz'));
    fs.writeFileSync(portal.file, imageBytes);
    await scratch.close();
    t = await startTestServer({ segmenter: new GridCopySegmenter(), server: { auth: await authConfigFor(USERS), distributed: { backend: portal, portal } } });
    admin = (await loginAll(t.server, USERS)).root;
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(path.dirname(portal.file), { recursive: true, force: true });
  });

  test('no credential, a wrong one or a user\'s token: 401 NOT_A_WORKER; the worker credential is no user token', async () => {
    for (const auth of [undefined, 'Bearer nope', admin]) {
      const req = request(t.server).get('/worker/jobs/job-with-image/image');
      const res = await (auth ? req.set('Authorization', auth) : req);
      expect([res.status, res.body.detail, res.headers['www-authenticate']]).toEqual([401, expect.stringMatching(/worker credential/), 'Bearer']);
    }
    const asUser = await request(t.server).get('/info/').set(worker);
    expect(asUser.status).toBe(401);
    await request(t.server).get('/datastore/?output=stats').set(worker).expect(401);
  });

  test('a job\'s image streams to the worker; an unknown job is 404', async () => {
    const res = await request(t.server).get('/worker/jobs/job-with-image/image').set(worker).buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status).toBe(200);
    expect(Buffer.compare(res.body as Buffer, imageBytes)).toBe(0);
    expect((await request(t.server).get('/worker/jobs/other/image').set(worker)).status).toBe(404);
  });

  test('weights by checksum: 64 hex digits or 400', async () => {
    expect((await request(t.server).get('/worker/weights/..%2F..%2Fetc%2Fpasswd').set(worker)).status).toBe(400);
    expect((await request(t.server).get(`/worker/weights/${'a'.repeat(64)}`).set(worker)).status).toBe(404);
  });

  test('a result: the label file and params reach the portal; a path-like file name or no file is refused', async () => {
    const label = await t.imageFile('label.nii.gz');
    await request(t.server).put('/worker/jobs/j1/result').set(worker).field('params', JSON.stringify({ worker: 'w1' })).attach('label', label, 'j1.nii.gz').expect(200);
    expect(portal.completed).toHaveLength(1);
    expect(portal.completed[0]).toMatchObject({ jobId: 'j1', name: 'j1.nii.gz', params: { worker: 'w1' } });
    expect(Buffer.compare(portal.completed[0]!.bytes, fs.readFileSync(label))).toBe(0);
    expect((await request(t.server).put('/worker/jobs/j1/result').set(worker).field('params', '{}').attach('label', label, 'x.exe')).status).toBe(422);
    expect((await request(t.server).put('/worker/jobs/j1/result').set(worker).field('params', '{}')).status).toBe(422);
    expect(portal.completed).toHaveLength(1);
  });

  test('heartbeats are checked field by field and listed at GET /workers/ (a user endpoint)', async () => {
    const beat = { name: 'w1', host: 'node-a', threads: 2, engine: 'onnxruntime', current_job: null, jobs_done: 3 };
    await request(t.server).post('/worker/heartbeat').set(worker).send(beat).expect(200);
    for (const bad of [{ ...beat, threads: -1 }, { ...beat, name: '' }, { ...beat, current_job: 7 }, { ...beat, host: 'x'.repeat(500) }]) {
      expect((await request(t.server).post('/worker/heartbeat').set(worker).send(bad)).status).toBe(422);
    }
    await request(t.server).get('/workers/').expect(401);
    const list = await request(t.server).get('/workers/').set('Authorization', admin).expect(200);
    expect(list.body).toEqual([{ name: 'w1', host: 'node-a', threads: 2, engine: 'onnxruntime', state: 'idle', current_job: null, jobs_done: 3, last_seen: expect.any(String) }]);
  });
});

describe('a server without --queue', () => {
  test('has no worker endpoints and says so at GET /workers/', async () => {
    const t = await startTestServer({ segmenter: new GridCopySegmenter() });
    try {
      const res = await request(t.server).get('/workers/');
      expect([res.status, res.body.detail]).toEqual([404, expect.stringMatching(/started without --queue/)]);
      expect((await request(t.server).get('/worker/jobs/x/image').set('Authorization', `Bearer ${TOKEN}`)).status).toBe(404);
    } finally {
      await t.close();
    }
  });
});
