import { Worker } from 'node:worker_threads';
import { workerScript } from '../util/workerScript';
import { TfBackendInfo } from './tfBackend';
import { TrainJob, TrainJobResult } from './trainJob';
import { TrainProgress } from './trainLoop';
import { TrainScope } from './trainScope';
import type { TrainWorkerReply, TrainWorkerRequest } from './trainWorker';

export interface TrainWorkerHandlers {
  readonly onStart?: (backend: TfBackendInfo, scope: TrainScope) => void;
  readonly onLog?: (line: string) => void;
  readonly onProgress?: (p: TrainProgress) => void;
}

export interface TrainWorkerHandle {
  /** Resolves with the result (also after a stop); rejects when the job fails or the worker dies. */
  readonly done: Promise<TrainJobResult>;
  /** Asks the worker to stop after its current step; `done` then resolves with `stopped: true`. */
  stop(): void;
  /** Kills the worker at once (no weights are saved). */
  terminate(): Promise<void>;
  /** Resolves with the thread's exit code once it has ended: 0 when it ended by itself, 1 when it was terminated. */
  readonly exited: Promise<number>;
}

/** For tests: another worker entry speaking the same messages, and the grace period. */
export interface TrainWorkerOptions {
  readonly script?: string;
  readonly exitGraceMs?: number;
}

/** How long a worker that has answered may take to end by itself before it is terminated. */
const WORKER_EXIT_GRACE_MS = 5_000;

/** Runs a TrainJob on a worker thread, off the server's event loop. */
export function startTrainWorker(job: TrainJob, handlers: TrainWorkerHandlers = {}, options: TrainWorkerOptions = {}): TrainWorkerHandle {
  const worker = new Worker(options.script ?? workerScript(__dirname, 'trainWorker'), { workerData: job });
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  let settled = false;
  const done = new Promise<TrainJobResult>((resolve, reject) => {
    const finish = (f: () => void) => {
      if (!settled) {
        settled = true;
        f();
      }
    };
    worker.on('message', (msg: TrainWorkerReply) => {
      if (msg.type === 'started') handlers.onStart?.(msg.backend, msg.scope);
      else if (msg.type === 'log') handlers.onLog?.(msg.line);
      else if (msg.type === 'progress') handlers.onProgress?.(msg.progress);
      else if (msg.type === 'done') finish(() => resolve(msg.result));
      else if (msg.type === 'failed') finish(() => reject(new Error(msg.message)));
      // The worker's last word, sent once its backend gave back the device: it then ends by itself, but on webgpu
      // Dawn's binding can still hold its thread, so it is ended after a grace period.
      if (msg.type === 'done' || msg.type === 'failed') {
        const timer = setTimeout(() => void worker.terminate(), options.exitGraceMs ?? WORKER_EXIT_GRACE_MS);
        void exited.then(() => clearTimeout(timer));
      }
    });
    worker.on('error', (e) => finish(() => reject(new Error(`training worker crashed: ${e.message}`))));
    worker.on('exit', (code) => finish(() => reject(new Error(`training worker exited with code ${code} before finishing`))));
  });
  return {
    done,
    stop: () => worker.postMessage({ type: 'stop' } satisfies TrainWorkerRequest),
    terminate: async () => {
      await worker.terminate();
    },
    exited,
  };
}
