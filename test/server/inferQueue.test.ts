import { ApiError } from '../../src/core/errors';
import { InferQueue } from '../../src/server/tasks/inferQueue';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

describe('InferQueue', () => {
  test('runs one job at a time in arrival order', async () => {
    const q = new InferQueue({ maxWaiting: 4 });
    const order: string[] = [];
    const g = gate();
    const first = q.run(async () => {
      order.push('a start');
      await g.opened;
      order.push('a end');
    }, new AbortController().signal);
    const second = q.run(() => {
      order.push('b');
      return Promise.resolve();
    }, new AbortController().signal);
    const third = q.run(() => {
      order.push('c');
      return Promise.resolve();
    }, new AbortController().signal);
    expect(q.busy).toBe(true);
    expect(q.waitingCount).toBe(2);
    g.open();
    await Promise.all([first, second, third]);
    expect(order).toEqual(['a start', 'a end', 'b', 'c']);
    expect(q.busy).toBe(false);
  });

  test('a full queue answers QUEUE_FULL (429) with a detail', async () => {
    const q = new InferQueue({ maxWaiting: 1 });
    const g = gate();
    const running = q.run(() => g.opened, new AbortController().signal);
    const waiting = q.run(() => Promise.resolve('second'), new AbortController().signal);
    await expect(q.run(() => Promise.resolve('third'), new AbortController().signal)).rejects.toMatchObject({ code: 'QUEUE_FULL', status: 429, detail: expect.stringMatching(/queue is full/) });
    g.open();
    await running;
    await expect(waiting).resolves.toBe('second');
  });

  test('an aborted waiter leaves the queue without running; the running job sees its own signal', async () => {
    const q = new InferQueue({ maxWaiting: 2 });
    const g = gate();
    const runningAbort = new AbortController();
    let runningSignal: AbortSignal | undefined;
    const running = q.run(async (signal) => {
      runningSignal = signal;
      await g.opened;
    }, runningAbort.signal);
    const clientGone = new AbortController();
    let ran = false;
    const cancelled = q.run(() => {
      ran = true;
      return Promise.resolve();
    }, clientGone.signal);
    clientGone.abort();
    // The waiter fails with its signal's own abort reason.
    await expect(cancelled).rejects.toBe(clientGone.signal.reason);
    expect(q.waitingCount).toBe(0);
    runningAbort.abort();
    expect(runningSignal?.aborted).toBe(true);
    g.open();
    await running;
    expect(ran).toBe(false);
  });

  test('close() fails waiters with SHUTTING_DOWN and refuses new work', async () => {
    const q = new InferQueue({ maxWaiting: 2 });
    const g = gate();
    const running = q.run(() => g.opened, new AbortController().signal);
    const waiter = q.run(() => Promise.resolve(1), new AbortController().signal);
    const closed = q.close();
    await expect(waiter).rejects.toEqual(new ApiError('SHUTTING_DOWN', 'Server is shutting down; the queued inference was dropped'));
    await expect(q.run(() => Promise.resolve(1), new AbortController().signal)).rejects.toMatchObject({ status: 503 });
    g.open();
    await running;
    await closed;
  });
});
