import { Worker } from 'node:worker_threads';
import { LimitExceededError } from '../core/resourceLimits';
import { workerScript } from '../util/workerScript';
import type { EngineChoice } from '../model/segmentationNetwork';
import { SegmentProgress, SegmentRequest, SegmentResult } from './segmentTypes';
import type { WorkerOptions, WorkerReply, WorkerRequest } from './segmentationWorker';

export interface RunnerOptions {
  /** The network's threads; default all cores. */
  readonly threads?: number;
  /** Which CPU engine runs the network; default `auto` (oneDNN when its addon loads). */
  readonly engine?: EngineChoice;
}

export class SegmentationCancelled extends Error {
  override name = 'SegmentationCancelled';
}

interface Job {
  readonly id: number;
  readonly resolve: (r: SegmentResult) => void;
  readonly reject: (e: Error) => void;
  readonly onProgress?: (p: SegmentProgress) => void;
}

/**
 * Runs segmentations in one worker thread, one at a time, so onnxruntime's multi-second `run` and the voxel loops
 * never block the event loop. The worker keeps its loaded models between jobs; if it dies, the job in flight fails
 * and the next job starts a fresh worker.
 */
export class SegmentationRunner {
  private worker: Worker | undefined;
  private current: Job | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private nextId = 1;

  constructor(private readonly opts: RunnerOptions = {}) {}

  /** Queues a job behind any running one. Aborting the signal cancels it, queued or running. */
  segment(req: SegmentRequest, onProgress?: (p: SegmentProgress) => void, signal?: AbortSignal): Promise<SegmentResult> {
    const run = this.tail.then(() => this.runNow(req, onProgress, signal));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private runNow(req: SegmentRequest, onProgress?: (p: SegmentProgress) => void, signal?: AbortSignal): Promise<SegmentResult> {
    if (signal?.aborted) return Promise.reject(new SegmentationCancelled('segmentation cancelled before it started'));
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<SegmentResult>((resolve, reject) => {
      const onAbort = () => worker.postMessage({ type: 'cancel', id } satisfies WorkerRequest);
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.current = {
        id,
        onProgress,
        resolve: (r) => (done(), resolve(r)),
        reject: (e) => (done(), reject(e)),
      };
      worker.postMessage({ type: 'segment', id, request: req } satisfies WorkerRequest);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(workerScript(__dirname, 'segmentationWorker'), { workerData: { threads: this.opts.threads, engine: this.opts.engine } satisfies WorkerOptions });
    worker.on('message', (msg: WorkerReply) => this.onMessage(msg));
    worker.on('error', (e) => this.failCurrent(new Error(`segmentation worker crashed: ${e.message}`)));
    worker.on('exit', (code) => {
      this.worker = undefined;
      if (code !== 0) this.failCurrent(new Error(`segmentation worker exited with code ${code}`));
    });
    this.worker = worker;
    return worker;
  }

  private onMessage(msg: WorkerReply): void {
    const job = this.current;
    if (!job || msg.id !== job.id) return;
    if (msg.type === 'progress') {
      job.onProgress?.(msg.progress);
      return;
    }
    this.current = undefined;
    if (msg.type === 'done') job.resolve(msg.result);
    else if (msg.cancelled) job.reject(new SegmentationCancelled(msg.message));
    else if (msg.limit) job.reject(LimitExceededError.rebuilt(msg.limit.name, msg.limit.allowed, msg.message));
    else job.reject(Object.assign(new Error(msg.message), { code: msg.code }));
  }

  private failCurrent(e: Error): void {
    const job = this.current;
    this.current = undefined;
    job?.reject(e);
  }

  /** Drops cached models (e.g. after a new model version was put in service); the next job loads them again. */
  reloadModels(): void {
    this.worker?.postMessage({ type: 'reload', id: 0 } satisfies WorkerRequest);
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
