import request from 'supertest';
import type { TaskContext } from '../../src/core/tasks';
import type { JsonObject } from '../../src/core/json';
import { waitFor } from '../helpers/waitFor';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { startTestServer, type TestServer } from './harness/testServer';

/** A train job that logs epochs and runs until released or cancelled, as the real trainer must. */
class HeldJob {
  readonly requests: JsonObject[] = [];
  private releaseFn: (() => void) | null = null;
  cancelled = 0;

  readonly job = async (req: JsonObject, ctx: TaskContext) => {
    this.requests.push(req);
    ctx.log(`epoch 1/${JSON.stringify(req.max_epochs)}`);
    await new Promise<void>((resolve, reject) => {
      this.releaseFn = resolve;
      ctx.signal.addEventListener('abort', () => {
        this.cancelled++;
        reject(new Error('cancelled'));
      }, { once: true });
    });
    ctx.log('done');
    return { best_metric: 0.9 };
  };

  release(): void {
    this.releaseFn?.();
  }
}

describe('train endpoints', () => {
  let t: TestServer;
  let held: HeldJob;
  beforeEach(async () => {
    held = new HeldJob();
    t = await startTestServer({ segmenter: new GridCopySegmenter(), trainer: { job: held.job } });
  });
  afterEach(() => t.close());

  test('the Slicer train cycle: 404s, start, poll, 429, stop with details, stop again -> null', async () => {
    expect((await request(t.server).get('/train/?check_if_running=true').expect(404)).body).toEqual({ detail: 'No Train Tasks are currently Running' });
    expect((await request(t.server).get('/train/').expect(404)).body).toEqual({ detail: 'No Train Tasks Found' });

    const started = await request(t.server).post('/train/wholeBody_ct_segmentation').send({ max_epochs: 5, device: 'cpu', client_id: 'user-xyz' }).expect(200);
    expect(started.body).toMatchObject({ status: 'SUBMITTED', request: { model: 'wholeBody_ct_segmentation', max_epochs: 5, client_id: 'user-xyz' } });
    expect(started.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(started.body.start_ts).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(held.requests[0]).toMatchObject({ pretrained: true, val_split: 0.2, max_epochs: 5, device: 'cpu' });

    const running = await request(t.server).get('/train?check_if_running=true').expect(200);
    expect(running.body).toMatchObject({ id: started.body.id, status: 'RUNNING', details: ['epoch 1/5'] });
    expect((await request(t.server).get('/train/').expect(200)).body.id).toBe(started.body.id);

    const again = await request(t.server).post('/train/wholeBody_ct_segmentation').send({ client_id: 'user-xyz' }).expect(429);
    expect(again.body).toEqual({ detail: '++++++++++ Train Task is Already Running' });

    const stopped = await request(t.server).delete('/train/').expect(200);
    expect(stopped.body).toMatchObject({ id: started.body.id, status: 'STOPPED' });
    expect(stopped.body.details.length).toBeGreaterThan(0);
    expect(stopped.body.end_ts).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(held.cancelled).toBe(1);
    const none = await request(t.server).delete('/train').expect(200);
    expect(none.text).toBe('null');
    expect((await request(t.server).get('/train/').expect(200)).body.status).toBe('STOPPED');
  });

  test('a finished task is DONE with its result; all=true lists every task', async () => {
    const started = await request(t.server).post('/train/wholeBody_ct_segmentation').send({ max_epochs: 1 }).expect(200);
    await waitFor(() => held.requests.length === 1, { what: 'train job 1 to start' });
    held.release();
    const done = await waitFor(async () => {
      const res = await request(t.server).get('/train/').expect(200);
      return res.body.status === 'DONE' ? (res.body as Record<string, unknown>) : undefined;
    }, { what: 'GET /train/ to answer DONE' });
    expect(done).toMatchObject({ id: started.body.id, status: 'DONE', result: { best_metric: 0.9 }, details: ['epoch 1/1', 'done'] });
    expect((await request(t.server).get('/train/?all=true').expect(200)).body).toHaveLength(1);
  });

  test('run_sync waits; enqueue queues; POST /train/ starts every trainer keyed by model', async () => {
    const first = await request(t.server).post('/train/').send({ wholeBody_ct_segmentation: { max_epochs: 2 } }).expect(200);
    expect(first.body.wholeBody_ct_segmentation).toMatchObject({ detail: null, result: { status: 'SUBMITTED', request: { max_epochs: 2 } } });
    const queued = await request(t.server).post('/train/wholeBody_ct_segmentation?enqueue=true').send({ max_epochs: 3 }).expect(200);
    expect(queued.body.status).toBe('SUBMITTED');
    await waitFor(() => held.requests.length === 1, { what: 'train job 1 to start' });
    held.release();
    await waitFor(() => held.requests.length === 2, { what: 'train job 2 to start' });
    // supertest sends on then(); start the run_sync request now and let it wait for its task.
    const sync = request(t.server).post('/train/wholeBody_ct_segmentation?run_sync=true&enqueue=true').send({ max_epochs: 4 }).then((r) => r);
    held.release();
    await waitFor(() => held.requests.length === 3, { what: 'train job 3 to start' });
    held.release();
    const answer = await sync;
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ status: 'DONE', request: { max_epochs: 4 } });
  });

  test('unknown trainer is 404; bad bool query is 422', async () => {
    expect((await request(t.server).post('/train/other').send({}).expect(404)).body.detail).toMatch(/Trainer "other" Not Found/);
    expect((await request(t.server).get('/train/?check_if_running=maybe').expect(422)).body.detail).toMatch(/boolean/);
  });
});
