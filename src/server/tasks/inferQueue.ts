import { ApiError } from '../../core/errors';

export interface InferQueueOptions {
  /** Requests allowed to wait while one runs; one more answers 429. */
  readonly maxWaiting: number;
}

interface Waiter {
  readonly key: string | undefined;
  readonly start: () => void;
  readonly fail: (e: Error) => void;
}

/**
 * One model run at a time per process. Waiting requests form a bounded FIFO; a waiter whose signal aborts (its
 * client hung up) leaves the queue without running, and the running job receives the same signal to stop early.
 */
export class InferQueue {
  private running = false;
  private runningKey: string | undefined;
  private closed = false;
  private readonly waiting: Waiter[] = [];
  private idle: Promise<void> = Promise.resolve();
  private markIdle: () => void = () => undefined;

  constructor(private readonly options: InferQueueOptions) {
    if (!Number.isInteger(options.maxWaiting) || options.maxWaiting < 0) throw new RangeError(`maxWaiting must be a non-negative integer, got ${options.maxWaiting}`);
  }

  get waitingCount(): number {
    return this.waiting.length;
  }

  get busy(): boolean {
    return this.running;
  }

  /** The keys of the running job (first, when it has one) and of the waiting ones, in the order they will run. */
  order(): string[] {
    const keys = [this.runningKey, ...this.waiting.map((w) => w.key)];
    return keys.filter((k): k is string => k !== undefined);
  }

  /** 0 for the running job, n for the n-th in line, null when `key` is neither. */
  positionOf(key: string): number | null {
    if (this.running && this.runningKey === key) return 0;
    const i = this.waiting.findIndex((w) => w.key === key);
    return i < 0 ? null : i + 1;
  }

  /** `key` names the job in `order()` and `positionOf()` (the progress API's job id). */
  async run<T>(job: (signal: AbortSignal) => Promise<T>, signal: AbortSignal, key?: string): Promise<T> {
    if (this.closed) throw new ApiError('SHUTTING_DOWN', 'Server is shutting down; no new inference is accepted');
    signal.throwIfAborted();
    if (this.running) {
      if (this.waiting.length >= this.options.maxWaiting) {
        throw new ApiError('QUEUE_FULL', `Inference queue is full (1 running, ${this.waiting.length} waiting); try again later`);
      }
      await this.wait(signal, key);
    } else {
      this.acquire(key);
    }
    try {
      return await job(signal);
    } finally {
      this.release();
    }
  }

  /** Refuses new work, fails the waiters with 503 and resolves when the running job has finished. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.fail(new ApiError('SHUTTING_DOWN', 'Server is shutting down; the queued inference was dropped'));
    await this.idle;
  }

  private wait(signal: AbortSignal, key: string | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        // The signal's own reason, untouched: an AbortError DOMException unless the aborting code passed another
        // (a DOMException from another realm fails `instanceof Error`, so it is not checked here).
        reject(signal.reason as Error);
      };
      const waiter: Waiter = {
        key,
        start: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        fail: (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      this.waiting.push(waiter);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  private acquire(key: string | undefined): void {
    this.running = true;
    this.runningKey = key;
    this.idle = new Promise((resolve) => (this.markIdle = resolve));
  }

  /** Hands the slot straight to the next waiter, so no newcomer can overtake the queue. */
  private release(): void {
    const next = this.waiting.shift();
    this.runningKey = next?.key;
    if (next) {
      next.start();
      return;
    }
    this.running = false;
    this.markIdle();
  }
}
