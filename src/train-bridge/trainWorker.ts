import { parentPort, workerData } from 'node:worker_threads';
import { TfBackendInfo, releaseTfBackend } from './tfBackend';
import { TrainJob, TrainJobResult, runTrainJob } from './trainJob';
import { TrainProgress } from './trainLoop';
import { TrainScope } from './trainScope';

/** Parent -> worker. */
export type TrainWorkerRequest = { readonly type: 'stop' };

/** Worker -> parent. After `done` or `failed` the worker exits by itself. */
export type TrainWorkerReply =
  | { readonly type: 'started'; readonly backend: TfBackendInfo; readonly scope: TrainScope }
  | { readonly type: 'log'; readonly line: string }
  | { readonly type: 'progress'; readonly progress: TrainProgress }
  | { readonly type: 'done'; readonly result: TrainJobResult }
  | { readonly type: 'failed'; readonly message: string };

/**
 * Worker-thread entry for one training run: `new Worker(trainWorker.js, { workerData: job })` with a TrainJob;
 * post `{ type: 'stop' }` to stop after the current step (the best weights so far are still saved).
 */
const port = parentPort;
if (!port) throw new Error('trainWorker must run as a worker thread');
const abort = new AbortController();
const post = (msg: TrainWorkerReply) => port.postMessage(msg);
port.on('message', (msg: TrainWorkerRequest) => {
  if (msg?.type === 'stop') {
    post({ type: 'log', line: 'stop requested: finishing the current step' });
    abort.abort();
  }
});

/** The reply, once the backend has given back its device (a thread that ends with a live Dawn device can crash). */
const answer = async (reply: TrainWorkerReply): Promise<void> => {
  try {
    await releaseTfBackend();
  } catch (e) {
    post({ type: 'log', line: `releasing the TensorFlow.js backend failed: ${(e as Error).message ?? String(e)}` });
  }
  post(reply);
  port.close();
};

runTrainJob(workerData as TrainJob, {
  signal: abort.signal,
  onStart: (backend, scope) => post({ type: 'started', backend, scope }),
  onLog: (line) => post({ type: 'log', line }),
  onProgress: (progress) => post({ type: 'progress', progress }),
}).then(
  (result) => answer({ type: 'done', result }),
  (e: unknown) => answer({ type: 'failed', message: (e as Error).message ?? String(e) }),
);
