import { parentPort, workerData } from 'node:worker_threads';
import { SegmentProgress, SegmentRequest, SegmentResult } from './segmentTypes';
import { ModelPool } from './modelPool';
import { segmentFile } from './segmentFile';
import { isLimitExceeded, type ResourceLimits } from '../core/resourceLimits';
import type { EngineChoice } from '../model/segmentationNetwork';

export type WorkerRequest =
  | { readonly type: 'segment'; readonly id: number; readonly request: SegmentRequest }
  | { readonly type: 'cancel'; readonly id: number }
  | { readonly type: 'reload'; readonly id: number };

export type WorkerReply =
  | { readonly type: 'progress'; readonly id: number; readonly progress: SegmentProgress }
  | { readonly type: 'done'; readonly id: number; readonly result: SegmentResult }
  | {
      readonly type: 'failed';
      readonly id: number;
      readonly message: string;
      readonly code?: string;
      readonly cancelled: boolean;
      /** Set when a resource limit refused the input (the runner rebuilds the LimitExceededError). */
      readonly limit?: { readonly name: keyof ResourceLimits; readonly allowed: number };
    };

export interface WorkerOptions {
  readonly threads?: number;
  readonly engine?: EngineChoice;
}

const port = parentPort;
if (!port) throw new Error('segmentationWorker must run as a worker thread');
const pool = new ModelPool({ ...(workerData as WorkerOptions | undefined) });
const running = new Map<number, AbortController>();

port.on('message', (msg: WorkerRequest) => {
  if (msg.type === 'cancel') running.get(msg.id)?.abort();
  else if (msg.type === 'reload') void pool.clear();
  else void run(msg.id, msg.request);
});

async function run(id: number, request: SegmentRequest): Promise<void> {
  const abort = new AbortController();
  running.set(id, abort);
  try {
    const result: SegmentResult = await segmentFile(request, pool, {
      signal: abort.signal,
      onProgress: (progress) => port!.postMessage({ type: 'progress', id, progress } satisfies WorkerReply),
    });
    port!.postMessage({ type: 'done', id, result } satisfies WorkerReply);
  } catch (e) {
    const err = e as Error & { code?: string };
    const limit = isLimitExceeded(e) ? { name: e.limit, allowed: e.allowed } : undefined;
    port!.postMessage({ type: 'failed', id, message: err.message, code: err.code, cancelled: abort.signal.aborted, limit } satisfies WorkerReply);
  } finally {
    running.delete(id);
  }
}
