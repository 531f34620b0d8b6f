import { ServerLog } from '../../src/server/serverLog';
import { TaskRunner, type JobContext } from '../../src/server/tasks/taskRunner';
import { ApiError } from '../../src/core/errors';

/** A job the test releases by hand; it logs and honours the cancel signal like a real trainer must. */
function controllableJob() {
  let release!: (v: string) => void;
  let seen!: JobContext;
  const released = new Promise<string>((r) => (release = r));
  const job = async (ctx: JobContext) => {
    seen = ctx;
    ctx.log('epoch 1/2');
    const result = await Promise.race([
      released,
      new Promise<never>((_, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true })),
    ]);
    ctx.log('epoch 2/2');
    return { best_metric: 0.5, note: result };
  };
  return { job, release: (v = 'ok') => release(v), context: () => seen };
}

const runner = () => new TaskRunner({ kind: 'Train', log: new ServerLog({ sink: null }) });
const flush = () => new Promise((r) => setImmediate(r));

describe('TaskRunner', () => {
  test('runs SUBMITTED -> RUNNING -> DONE with details, end_ts and the job result', async () => {
    const r = runner();
    const j = controllableJob();
    const submitted = r.submit({ model: 'm' }, j.job);
    expect(submitted).toMatchObject({ status: 'SUBMITTED', request: { model: 'm' } });
    expect(submitted.start_ts).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    await flush();
    expect(r.current()).toMatchObject({ id: submitted.id, status: 'RUNNING', details: ['epoch 1/2'] });
    j.release();
    const done = await r.waitFor(submitted.id);
    expect(done).toMatchObject({ status: 'DONE', details: ['epoch 1/2', 'epoch 2/2'], result: { best_metric: 0.5, note: 'ok' } });
    expect(done.end_ts).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(r.current()).toBeNull();
    expect(r.last()?.id).toBe(submitted.id);
  });

  test('a second submit while one runs answers 429 with MONAI detail; enqueue queues it', async () => {
    const r = runner();
    const a = controllableJob();
    r.submit({}, a.job);
    expect(() => r.submit({}, controllableJob().job)).toThrow(new ApiError('TASK_RUNNING', '++++++++++ Train Task is Already Running'));
    const b = controllableJob();
    const queued = r.submit({ second: true }, b.job, true);
    expect(queued.status).toBe('SUBMITTED');
    a.release();
    await flush();
    await flush();
    expect(r.current()).toMatchObject({ id: queued.id, status: 'RUNNING' });
    b.release();
    await r.waitFor(queued.id);
    expect(r.all().map((t) => t.status)).toEqual(['DONE', 'DONE']);
  });

  test('stop() aborts the job signal and returns STOPPED with non-empty details; nothing running -> null', async () => {
    const r = runner();
    expect(r.stop()).toBeNull();
    const j = controllableJob();
    const t = r.submit({}, j.job);
    await flush();
    const stopped = r.stop();
    expect(stopped).toMatchObject({ id: t.id, status: 'STOPPED' });
    expect(stopped?.details?.length).toBeGreaterThan(0);
    expect(stopped?.details?.[stopped.details.length - 1]).toMatch(/stopped/);
    expect(j.context().signal.aborted).toBe(true);
    const final = await r.waitFor(t.id);
    expect(final.status).toBe('STOPPED');
    expect(r.stop()).toBeNull();
  });

  test('after stop a new submit is accepted at once (Slicer: DELETE then POST) and runs after the old job unwinds', async () => {
    const r = runner();
    let unwind!: () => void;
    const slow = async (ctx: JobContext) => {
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => (unwind = resolve), { once: true }));
      return undefined;
    };
    r.submit({}, slow);
    await flush();
    r.stop();
    const b = controllableJob();
    const next = r.submit({}, b.job);
    await flush();
    expect(r.current()).toMatchObject({ id: next.id, status: 'SUBMITTED' });
    unwind();
    await flush();
    await flush();
    expect(r.current()).toMatchObject({ id: next.id, status: 'RUNNING' });
    b.release();
    expect((await r.waitFor(next.id)).status).toBe('DONE');
  });

  test('a failing job is ERROR with the message in details', async () => {
    const r = runner();
    const t = r.submit({}, (ctx) => {
      ctx.log('loading');
      return Promise.reject(new Error('out of memory'));
    });
    const final = await r.waitFor(t.id);
    expect(final.status).toBe('ERROR');
    expect(final.details).toEqual(['loading', 'ERROR: out of memory']);
  });

  test('details keep only the last 20 lines', async () => {
    const r = runner();
    const t = r.submit({}, (ctx) => {
      for (let i = 0; i < 30; i++) ctx.log(`line ${i}`);
      return Promise.resolve(undefined);
    });
    const final = await r.waitFor(t.id);
    expect(final.details).toHaveLength(20);
    expect(final.details?.[0]).toBe('line 10');
    expect(final.result).toBeUndefined();
  });
});
