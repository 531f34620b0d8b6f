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
}

/** Runs a TrainJob on a worker thread, off the server's event loop. */
export function startTrainWorker(job: TrainJob, handlers: TrainWorkerHandlers = {}): TrainWorkerHandle {
  const worker = new Worker(workerScript(__dirname, 'trainWorker'), { workerData: job });
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
      // The worker's last word: end it, as on the webgpu backend Dawn's device would keep its thread alive for good.
      if (msg.type === 'done' || msg.type === 'failed') void worker.terminate();
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
  };
}
