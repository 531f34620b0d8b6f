import { timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Job, Queue, QueueEvents } from 'bullmq';
import IORedis from 'ioredis';
import type { App } from '../core/app';
import { ApiError, ERROR_CATALOGUE, type ErrorCode } from '../core/errors';
import type { InferBackend, InferExecution, InferHooks, InferOutcome, WorkerFile, WorkerPortal, WorkerStatus } from '../core/inferBackend';
import type { JsonObject } from '../core/json';
import type { InferProgress } from '../core/tasks';
import { sha256OfFile } from '../util/fileChecksum';
import { moveFileAtomic } from '../util/moveFileAtomic';
import { CANCEL_CHANNEL, INFER_QUEUE, savedKey, type InferJobData } from './inferJobData';
import { redactedRedisUrl } from './redisUrl';

export interface CoordinatorOptions {
  readonly redisUrl: string;
  /** The credential workers present (`Authorization: Bearer <token>`) on the worker endpoints. */
  readonly workerToken: string;
  /** Tries per job before it fails (a worker that dies mid-job costs one). Default 3. */
  readonly attempts?: number;
  readonly log?: (message: string, fields?: JsonObject) => void;
}

interface Pending {
  readonly execution: InferExecution;
  readonly hooks: InferHooks;
  readonly resolve: (outcome: InferOutcome) => void;
  readonly reject: (e: unknown) => void;
  started: boolean;
}

/** Workers not heard of for this long are dropped from `GET /workers/`. */
const WORKER_FORGOTTEN_MS = 5 * 60 * 1000;

/**
 * `wbct serve --queue`: every model run becomes a BullMQ job on Redis (ids and options only); `wbct worker`
 * processes on any machine take them, fetch the image and the weights from here, and hand the label back over HTTP.
 * The client's request waits here and is answered as in the in-process case. A label the request asked to store is
 * stored here, once per job, also for jobs that finish after this coordinator restarted.
 */
export class Coordinator implements InferBackend, WorkerPortal {
  /** Images a batch puts in the queue at once (all of them are in Redis, so none is lost when this process restarts). */
  readonly parallelism = 256;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  /** Commands of our own (cancel announcements, saved-label marks); fails fast while Redis is away. */
  private readonly redis: IORedis;
  private readonly pending = new Map<string, Pending>();
  private readonly waiting: string[] = [];
  private readonly weights = new Map<string, string>();
  private readonly workerStatus = new Map<string, WorkerStatus>();
  private readonly token: Buffer;
  private readonly attempts: number;

  constructor(
    private readonly app: App,
    private readonly options: CoordinatorOptions,
  ) {
    const url = options.redisUrl;
    this.queue = new Queue(INFER_QUEUE, { connection: { url, enableOfflineQueue: false, maxRetriesPerRequest: 1 } });
    this.events = new QueueEvents(INFER_QUEUE, { connection: { url, maxRetriesPerRequest: null } });
    this.redis = new IORedis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (times) => Math.min(times * 200, 2000) });
    // ioredis reports a lost connection as an error event on every retry; the 503 answers say it to clients.
    for (const emitter of [this.queue, this.events, this.redis] as { on(event: 'error', fn: (e: Error) => void): unknown }[]) emitter.on('error', () => undefined);
    this.token = Buffer.from(options.workerToken, 'utf8');
    this.attempts = options.attempts ?? 3;
    this.events.on('active', ({ jobId }) => this.started(jobId));
    this.events.on('progress', ({ jobId, data }) => this.pending.get(jobId)?.hooks.onProgress(data as unknown as InferProgress));
    this.events.on('failed', ({ jobId, failedReason }) => this.failed(jobId, failedReason));
    this.events.on('stalled', ({ jobId }) => this.requeued(jobId));
    this.events.on('waiting', ({ jobId }) => {
      if (this.pending.get(jobId)?.started) this.requeued(jobId);
    });
  }

  /** Resolves once Redis answers (the server starts listening after this). */
  async ready(): Promise<void> {
    await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
  }

  async run(execution: InferExecution, hooks: InferHooks): Promise<InferOutcome> {
    hooks.signal.throwIfAborted();
    this.requireRedis();
    const task = this.app.infers.get(execution.model);
    if (!task?.weightsFile) throw new ApiError('MODEL_NOT_FOUND', `Model "${execution.model}" cannot run on workers (it names no weights file)`);
    const weightsPath = task.weightsFile(execution.params);
    const checksum = await sha256OfFile(weightsPath);
    this.weights.set(checksum, weightsPath);
    const data: InferJobData = {
      model: execution.model,
      params: execution.params,
      imageName: path.basename(execution.imagePath),
      imageId: execution.imageId,
      weights: { checksum, name: path.basename(weightsPath) },
      resultExtension: resultExtensionOf(execution.outputPath),
      limits: execution.limits,
      saveLabel: execution.saveLabel,
    };
    const outcome = new Promise<InferOutcome>((resolve, reject) => {
      this.pending.set(execution.jobId, { execution, hooks, resolve, reject, started: false });
    });
    this.waiting.push(execution.jobId);
    try {
      await this.queue.add('infer', data, { jobId: execution.jobId, attempts: this.attempts, backoff: { type: 'fixed', delay: 500 }, removeOnComplete: true, removeOnFail: true });
    } catch (e) {
      this.forget(execution.jobId);
      throw this.unavailable(e);
    }
    const onAbort = () => void this.cancel(execution.jobId, hooks.signal.reason);
    hooks.signal.addEventListener('abort', onAbort, { once: true });
    try {
      return await outcome;
    } finally {
      hooks.signal.removeEventListener('abort', onAbort);
      this.forget(execution.jobId);
    }
  }

  positionOf(jobId: string): number | null {
    const job = this.pending.get(jobId);
    if (!job) return null;
    if (job.started) return 0;
    const i = this.waiting.indexOf(jobId);
    return i < 0 ? null : i + 1;
  }

  order(): readonly string[] {
    return [...[...this.pending.values()].filter((p) => p.started).map((p) => p.execution.jobId), ...this.waiting];
  }

  authorizes(header: string | undefined): boolean {
    const match = /^Bearer (.+)$/.exec(header ?? '');
    if (!match) return false;
    const given = Buffer.from(match[1]!, 'utf8');
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }

  async imageFor(jobId: string): Promise<WorkerFile> {
    const pending = this.pending.get(jobId);
    if (pending) return { path: pending.execution.imagePath, name: path.basename(pending.execution.imagePath) };
    // A job queued before this coordinator restarted: a datastore image is found again by its id.
    const data = await this.jobData(jobId);
    if (!data.imageId) throw new ApiError('JOB_NOT_FOUND', `the input of job "${jobId}" was an upload that no longer exists (its request ended)`);
    const file = await this.app.datastore.imagePath(data.imageId);
    return { path: file, name: path.basename(file) };
  }

  async weightsFor(checksum: string): Promise<WorkerFile> {
    const file = this.weights.get(checksum);
    if (!file || (await sha256OfFile(file).catch(() => null)) !== checksum) throw new ApiError('MODEL_FILE_MISSING', `no weights with SHA-256 ${checksum} on this coordinator`);
    return { path: file, name: path.basename(file) };
  }

  async complete(jobId: string, labelTempPath: string, labelFileName: string, params: JsonObject): Promise<void> {
    const pending = this.pending.get(jobId);
    const data = pending ? undefined : await this.jobData(jobId);
    const saveLabel = pending?.execution.saveLabel ?? data?.saveLabel;
    let labelSaved = false;
    if (saveLabel) {
      labelSaved = true;
      if ((await this.redis.exists(savedKey(jobId)).catch((e: unknown) => Promise.reject(this.unavailable(e)))) === 0) {
        // The datastore takes the file it is given; the answer still needs the upload itself.
        const copy = `${labelTempPath}.stored`;
        await fs.copyFile(labelTempPath, copy);
        try {
          await this.app.datastore.saveLabel(saveLabel.imageId, saveLabel.tag, { tempPath: copy, fileName: labelFileName }, { ...saveLabel.info, params });
        } finally {
          await fs.rm(copy, { force: true });
        }
        await this.redis.set(savedKey(jobId), '1', 'EX', 24 * 3600);
        this.options.log?.('label stored for a job', { job: jobId, image: saveLabel.imageId, tag: saveLabel.tag });
      }
    }
    if (!pending) {
      await fs.rm(labelTempPath, { force: true });
      return;
    }
    await moveFileAtomic(labelTempPath, pending.execution.outputPath);
    pending.resolve({ labelPath: pending.execution.outputPath, params, labelSaved });
  }

  heartbeat(status: Omit<WorkerStatus, 'lastSeen'>): void {
    this.workerStatus.set(status.name, { ...status, lastSeen: new Date().toISOString() });
  }

  workers(): readonly WorkerStatus[] {
    const now = Date.now();
    for (const [name, w] of this.workerStatus) if (now - Date.parse(w.lastSeen) > WORKER_FORGOTTEN_MS) this.workerStatus.delete(name);
    return [...this.workerStatus.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) p.reject(new ApiError('SHUTTING_DOWN', 'Server is shutting down; the inference was dropped'));
    await Promise.allSettled([this.events.close(), this.queue.close()]);
    this.redis.disconnect();
  }

  private requireRedis(): void {
    if (this.redis.status !== 'ready') throw this.unavailable(new Error(`connection ${this.redis.status}`));
  }

  private unavailable(e: unknown): ApiError {
    if (e instanceof ApiError) return e;
    return new ApiError('QUEUE_UNAVAILABLE', `The job queue at ${redactedRedisUrl(this.options.redisUrl)} is not reachable (${e instanceof Error ? e.message : String(e)}); inference resumes when it is back`);
  }

  private async jobData(jobId: string): Promise<InferJobData> {
    const job = await Job.fromId<InferJobData>(this.queue, jobId).catch((e: unknown) => Promise.reject(this.unavailable(e)));
    if (!job) throw new ApiError('JOB_NOT_FOUND', `no queued job "${jobId}"`);
    return job.data;
  }

  private started(jobId: string): void {
    const job = this.pending.get(jobId);
    if (!job || job.started) return;
    job.started = true;
    const i = this.waiting.indexOf(jobId);
    if (i >= 0) this.waiting.splice(i, 1);
    job.hooks.onStart();
  }

  /** A job whose worker died (stalled) or failed on an attempt that will be retried goes back in line. */
  private requeued(jobId: string): void {
    const job = this.pending.get(jobId);
    if (!job?.started) return;
    job.started = false;
    this.waiting.unshift(jobId);
    job.hooks.onProgress({ stage: 'queued', done: 0, total: 1 });
  }

  /** A job failed for good: a refusal of its input keeps its code (the worker sends "CODE: detail"), anything else is INFER_FAILED. */
  private failed(jobId: string, reason: string): void {
    const job = this.pending.get(jobId);
    if (!job) return;
    const refusal = /^([A-Z_]+): ([\s\S]*)$/.exec(reason);
    const code = refusal?.[1];
    if (code !== undefined && code in ERROR_CATALOGUE && ERROR_CATALOGUE[code as ErrorCode].status < 500) {
      job.reject(new ApiError(code as ErrorCode, refusal?.[2]));
      return;
    }
    job.reject(new ApiError('INFER_FAILED', `Failed to execute infer on the workers (${this.attempts} attempt${this.attempts === 1 ? '' : 's'}): ${reason}`));
  }

  /** A waiting job is removed from the queue; a running one is told to stop (its worker aborts between windows). */
  private async cancel(jobId: string, reason: unknown): Promise<void> {
    const job = this.pending.get(jobId);
    job?.reject(reason);
    try {
      const removed = await this.queue.remove(jobId);
      if (removed === 0) await this.redis.publish(CANCEL_CHANNEL, jobId);
    } catch {
      // An active job is locked and cannot be removed: its worker is told instead.
      await this.redis.publish(CANCEL_CHANNEL, jobId).catch(() => undefined);
    }
  }

  private forget(jobId: string): void {
    this.pending.delete(jobId);
    const i = this.waiting.indexOf(jobId);
    if (i >= 0) this.waiting.splice(i, 1);
  }
}

function resultExtensionOf(file: string): string {
  const lower = file.toLowerCase();
  return lower.endsWith('.nii.gz') ? '.nii.gz' : path.extname(lower);
}
