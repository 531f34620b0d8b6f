import request from 'supertest';
import { serve, type RunningServer } from '../../src/server/serve';
import { waitFor } from '../helpers/waitFor';
import { authConfigFor, loginAll, type TestUser } from './authTestUsers';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { startTestServer, type TestServer } from './harness/testServer';

/** The progress API: `POST /infer/{model}?job_id=`, `GET /infer/jobs[/{id}]`, `DELETE /infer/jobs/{id}`. */
const MODEL = 'wholeBody_ct_segmentation';
const JOB_A = 'job-aaaaaaaaaaaa';
const JOB_B = 'job-bbbbbbbbbbbb';

async function addImage(t: TestServer, id: string, auth?: string): Promise<void> {
  const req = request(t.server).put(`/datastore/?image=${id}`);
  if (auth) req.set('Authorization', auth);
  await req.field('params', '{}').attach('file', await t.imageFile(`${id}.nii.gz`)).expect(200);
}

function infer(t: TestServer, image: string, jobId?: string, auth?: string) {
  const req = request(t.server).post(`/infer/${MODEL}?image=${image}${jobId ? `&job_id=${jobId}` : ''}`);
  if (auth) req.set('Authorization', auth);
  return req.field('params', JSON.stringify({ result_extension: '.nii.gz' }));
}

describe('progress API: job state, queue position, progress, cancel', () => {
  let t: TestServer;
  let seg: GridCopySegmenter;
  beforeEach(async () => {
    seg = new GridCopySegmenter();
    t = await startTestServer({ segmenter: seg });
    await addImage(t, 'case001');
  });
  afterEach(async () => {
    seg.release();
    await t.close();
  });

  /** Job A held in the model run, job B registered and waiting behind it. */
  async function runningAndQueued() {
    const before = seg.requests.length;
    seg.hold();
    const a = infer(t, 'case001', JOB_A).then((r) => r);
    await waitFor(() => seg.requests.length === before + 1, { what: 'job A to reach the model' });
    const b = infer(t, 'case001', JOB_B).then((r) => r);
    // Registered first, B joins the line once its image has been checked (position null until then).
    await waitFor(async () => (await request(t.server).get(`/infer/jobs/${JOB_B}`)).body?.position === 1, { what: 'job B to wait in line' });
    return { a, b };
  }

  test('a running and a queued job: state, position, windows done / total; then done', async () => {
    const { a, b } = await runningAndQueued();

    const running = await request(t.server).get(`/infer/jobs/${JOB_A}`).expect(200);
    expect(running.body).toMatchObject({ id: JOB_A, model: MODEL, state: 'running', position: 0, stage: 'infer', done: 1, total: 4, finished: null, estimated_wait_s: null });
    expect(typeof running.body.elapsed_s).toBe('number');
    const queued = await request(t.server).get(`/infer/jobs/${JOB_B}`).expect(200);
    expect(queued.body).toMatchObject({ id: JOB_B, state: 'queued', position: 1, started: null, elapsed_s: null });
    const list = await request(t.server).get('/infer/jobs/').expect(200);
    expect(list.body.map((j: { id: string }) => j.id)).toEqual([JOB_B, JOB_A]);

    seg.release();
    const [ra, rb] = await Promise.all([a, b]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    const done = await request(t.server).get(`/infer/jobs/${JOB_A}`).expect(200);
    expect(done.body).toMatchObject({ state: 'done', position: null, estimated_remaining_s: null });
    expect(Date.parse(done.body.finished)).toBeGreaterThanOrEqual(Date.parse(done.body.started));
  });

  test('after one finished run, a queued job gets an estimated wait', async () => {
    await infer(t, 'case001', 'warm-up-run-1').expect(200);
    const { a, b } = await runningAndQueued();
    const queued = await request(t.server).get(`/infer/jobs/${JOB_B}`).expect(200);
    expect(typeof queued.body.estimated_wait_s).toBe('number');
    expect(queued.body.estimated_wait_s).toBeGreaterThanOrEqual(0);
    seg.release();
    await Promise.all([a, b]);
  });

  test('DELETE of a queued job: it never runs, its request answers 409 INFER_CANCELLED', async () => {
    const { a, b } = await runningAndQueued();
    const cancel = await request(t.server).delete(`/infer/jobs/${JOB_B}`).expect(200);
    expect(cancel.body.id).toBe(JOB_B);
    const rb = await b;
    expect(rb.status).toBe(409);
    expect(rb.body.detail).toMatch(new RegExp(`job "${JOB_B}" was cancelled`));
    seg.release();
    expect((await a).status).toBe(200);
    expect(seg.requests).toHaveLength(1);
    expect((await request(t.server).get(`/infer/jobs/${JOB_B}`)).body).toMatchObject({ state: 'cancelled', position: null });
  });

  test('DELETE of the running job stops it: 409 to its client, the model run sees the abort', async () => {
    seg.hold();
    const a = infer(t, 'case001', JOB_A).then((r) => r);
    await waitFor(() => seg.requests.length === 1, { what: 'the first run to start' });
    await request(t.server).delete(`/infer/jobs/${JOB_A}`).expect(200);
    const ra = await a;
    expect(ra.status).toBe(409);
    expect(seg.aborted).toHaveLength(1);
    expect((await request(t.server).get(`/infer/jobs/${JOB_A}`)).body.state).toBe('cancelled');
    // A finished job can be "cancelled" again: nothing changes.
    expect((await request(t.server).delete(`/infer/jobs/${JOB_A}`).expect(200)).body.state).toBe('cancelled');
  });

  test('a failed run is listed as failed with the reason', async () => {
    const res = await infer(t, 'no-such-image', JOB_A);
    expect(res.status).toBe(404);
    // The image is looked up before a job exists: nothing is registered for a request refused that early.
    await request(t.server).get(`/infer/jobs/${JOB_A}`).expect(404);
    const bad = await request(t.server).post(`/infer/${MODEL}?image=case001&job_id=${JOB_B}`).field('params', JSON.stringify({ sw_overlap: 2 }));
    expect(bad.status).toBe(422);
    expect((await request(t.server).get(`/infer/jobs/${JOB_B}`).expect(200)).body).toMatchObject({ state: 'failed', detail: expect.stringMatching(/sw_overlap/) });
  });

  test.each([
    ['too short', 'abc'],
    ['a path', '..%2F..%2Fetc'],
    ['a header injection', 'abcdefgh%0D%0AX-Evil:%201'],
    ['too long', 'a'.repeat(65)],
  ])('a job_id that is %s is refused with 400 before the upload is read', async (_what, id) => {
    const res = await request(t.server).post(`/infer/${MODEL}?image=case001&job_id=${id}`).field('params', '{}');
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/job_id must be 8 to 64/);
    expect(seg.requests).toHaveLength(0);
  });

  test('a job_id in use answers 409 JOB_ID_IN_USE; an unknown one 404 JOB_NOT_FOUND', async () => {
    await infer(t, 'case001', JOB_A).expect(200);
    const again = await infer(t, 'case001', JOB_A);
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/already taken/);
    expect(seg.requests).toHaveLength(1);
    expect((await request(t.server).get('/infer/jobs/never-seen-1234').expect(404)).body.detail).toBe('no inference job "never-seen-1234"');
    await request(t.server).delete('/infer/jobs/never-seen-1234').expect(404);
  });

  test('without job_id (Slicer) every request still gets a job in the list, and the answer params are unchanged', async () => {
    const res = await request(t.server).post(`/infer/${MODEL}?image=case001&output=json`).field('params', '{}').expect(200);
    const list = await request(t.server).get('/infer/jobs/').expect(200);
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({ state: 'done', model: MODEL });
    expect(list.body[0].id).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(Object.keys(res.body).sort()).toEqual(['centroids', 'engine', 'label_names', 'latencies']);
  });
});

describe('progress API with auth: a job is its owner\'s (and an admin\'s)', () => {
  const USERS = [
    { username: 'ann', password: 'ann-password-1', roles: ['user', 'annotator'] },
    { username: 'bob', password: 'bob-password-1', roles: ['user'] },
    { username: 'root', password: 'root-password-1', roles: ['admin'] },
  ] as const satisfies readonly TestUser[];
  let t: TestServer;
  let seg: GridCopySegmenter;
  let running: RunningServer;
  let tokens: Record<(typeof USERS)[number]['username'], string>;
  beforeAll(async () => {
    seg = new GridCopySegmenter();
    t = await startTestServer({ segmenter: seg, server: { auth: await authConfigFor(USERS) } });
    running = await serve(t.server, { port: 0, handleSignals: false });
    tokens = await loginAll(t.server, USERS);
    await addImage(t, 'case001', tokens.ann);
  });
  afterAll(async () => {
    seg.release();
    await running.close();
    await t.close();
  });

  test('another user sees 404 and cannot cancel; the owner and an admin see and may cancel', async () => {
    seg.hold();
    const a = infer(t, 'case001', JOB_A, tokens.ann).then((r) => r);
    await waitFor(() => seg.requests.length === 1, { what: 'the first run to start' });
    await request(t.server).get(`/infer/jobs/${JOB_A}`).expect(401);
    await request(t.server).get(`/infer/jobs/${JOB_A}`).set('Authorization', tokens.bob).expect(404);
    await request(t.server).delete(`/infer/jobs/${JOB_A}`).set('Authorization', tokens.bob).expect(404);
    expect((await request(t.server).get('/infer/jobs/').set('Authorization', tokens.bob).expect(200)).body).toEqual([]);
    expect((await request(t.server).get(`/infer/jobs/${JOB_A}`).set('Authorization', tokens.ann).expect(200)).body).toMatchObject({ user: 'ann', state: 'running' });
    expect((await request(t.server).get('/infer/jobs/').set('Authorization', tokens.root).expect(200)).body).toHaveLength(1);
    await request(t.server).delete(`/infer/jobs/${JOB_A}`).set('Authorization', tokens.root).expect(200);
    expect((await a).status).toBe(409);
  });
});
