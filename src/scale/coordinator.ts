import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Job, Queue, QueueEvents } from 'bullmq';
import IORedis from 'ioredis';
import type { App } from '../core/app';
import { ApiError, ERROR_CATALOGUE, type ErrorCode } from '../core/errors';
import { splitFileName } from '../core/fileNames';
import type { InferBackend, InferExecution, InferHooks, InferOutcome, WorkerFile, WorkerPortal, WorkerStatus } from '../core/inferBackend';
import type { JsonObject } from '../core/json';
import type { InferProgress } from '../core/tasks';
import { sha256OfFile } from '../util/fileChecksum';
import { moveFileAtomic } from '../util/moveFileAtomic';
import { storeLabelCopy } from '../util/storeLabelCopy';
import { cancelledKey, CANCEL_CHANNEL, INFER_QUEUE, savedKey, WEIGHTS_KEY, type InferJobData } from './inferJobData';
import { redactedRedisUrl } from './redisUrl';

export interface CoordinatorOptions {
  readonly redisUrl: string;
  /** The credential workers present (`Authorization: Bearer <token>`) on the worker endpoints. */
  readonly workerToken: string;
  /** Tries per job before it fails (a worker that dies mid-job costs one). Default 3. */
  readonly attempts?: number;
  /** Jobs allowed to wait for a worker; one more answers 429 QUEUE_FULL. Default 256. */
  readonly maxWaiting?: number;
  readonly log?: (message: string, fields?: JsonObject) => void;
}

interface Pending {
  /** The queue's job id: the progress API's id plus a random part, so a client's id never names a Redis key. */
  readonly queueId: string;
  readonly execution: InferExecution;
  readonly hooks: InferHooks;
  readonly resolve: (outcome: InferOutcome) => void;
  readonly reject: (e: unknown) => void;
  /** In Redis (the add returned): only then can its absence there mean it was lost. */
  queued: boolean;
  started: boolean;
  settled: boolean;
}

/** Workers not heard of for this long are dropped from `GET /workers/`. */
const WORKER_FORGOTTEN_MS = 5 * 60 * 1000;
/** How often waiting requests are checked against Redis (a job can vanish: Redis restarted without persistence). */
const SWEEP_MS = 5000;

/**
 * `wbct serve --queue`: every model run becomes a BullMQ job on Redis (ids and options only); `wbct worker`
 * processes on any machine take them, fetch the image and the weights from here, and hand the label back over HTTP.
 * The client's request waits here and is answered as in the in-process case. A label the request asked to store is
 * stored here, once per job, also for jobs that finish after this coordinator restarted.
 */
export class Coordinator implements InferBackend, WorkerPortal {
  /** Images a batch puts in the queue at once (all of them are in Redis, so none is lost when this process restarts). */
  readonly parallelism: number;
  private readonly queue: Queue;
  private readonly events: QueueEvents;
  /** Commands of our own (cancel announcements, saved-label marks); fails fast while Redis is away. */
  private readonly redis: IORedis;
  /** By queue id. */
  private readonly pending = new Map<string, Pending>();
  /** Progress API id -> queue id. */
  private readonly queueIds = new Map<string, string>();
  /** Queue ids of jobs not yet started, in the order they were queued. */
  private readonly waiting: string[] = [];
  private readonly workerStatus = new Map<string, WorkerStatus>();
  private readonly tokenDigest: Buffer;
  private readonly attempts: number;
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly app: App,
    private readonly options: CoordinatorOptions,
  ) {
    const url = options.redisUrl;
    this.parallelism = options.maxWaiting ?? 256;
    this.queue = new Queue(INFER_QUEUE, { connection: { url, enableOfflineQueue: false, maxRetriesPerRequest: 1 } });
    this.events = new QueueEvents(INFER_QUEUE, { connection: { url, maxRetriesPerRequest: null } });
    this.redis = new IORedis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (times) => Math.min(times * 200, 2000) });
    // ioredis reports a lost connection as an error event on every retry; the 503 answers say it to clients.
    for (const emitter of [this.queue, this.events, this.redis] as { on(event: 'error', fn: (e: Error) => void): unknown }[]) emitter.on('error', () => undefined);
    this.tokenDigest = digest(options.workerToken);
    this.attempts = options.attempts ?? 3;
    this.events.on('active', ({ jobId }) => this.started(jobId));
    this.events.on('progress', ({ jobId, data }) => this.live(jobId)?.hooks.onProgress(data as unknown as InferProgress));
    this.events.on('failed', ({ jobId, failedReason }) => this.failed(jobId, failedReason));
    this.events.on('stalled', ({ jobId }) => this.requeued(jobId));
    this.events.on('waiting', ({ jobId }) => {
      if (this.pending.get(jobId)?.started) this.requeued(jobId);
    });
    this.sweep = setInterval(() => void this.sweepVanished(), SWEEP_MS);
    this.sweep.unref();
  }

  /** Resolves once Redis answers (the server starts listening after this). */
  async ready(): Promise<void> {
    await Promise.all([this.queue.waitUntilReady(), this.events.waitUntilReady()]);
  }

  async run(execution: InferExecution, hooks: InferHooks): Promise<InferOutcome> {
    hooks.signal.throwIfAborted();
    this.requireRedis();
    if (this.waiting.length >= this.parallelism) throw new ApiError('QUEUE_FULL', `Inference queue is full (${this.waiting.length} jobs wait for a worker); try again later`);
    const task = this.app.infers.get(execution.model);
    if (!task?.weightsFile) throw new ApiError('MODEL_NOT_FOUND', `Model "${execution.model}" cannot run on workers (it names no weights file)`);
    const weightsPath = task.weightsFile(execution.params);
    const checksum = await sha256OfFile(weightsPath);
    // In Redis, so that a coordinator restarted with jobs in the queue still serves their model version.
    await this.viaRedis(this.redis.hset(WEIGHTS_KEY, checksum, weightsPath));
    const data: InferJobData = {
      model: execution.model,
      params: execution.params,
      imageName: path.basename(execution.imagePath),
      imageId: execution.imageId,
      weights: { checksum, name: path.basename(weightsPath) },
      resultExtension: splitFileName(execution.outputPath)?.ext ?? path.extname(execution.outputPath),
      limits: execution.limits,
      saveLabel: execution.saveLabel,
    };
    const queueId = `${execution.jobId}.${randomBytes(6).toString('hex')}`;
    const outcome = new Promise<InferOutcome>((resolve, reject) => {
      this.pending.set(queueId, { queueId, execution, hooks, resolve, reject, queued: false, started: false, settled: false });
    });
    this.queueIds.set(execution.jobId, queueId);
    this.waiting.push(queueId);
    const onAbort = () => void this.cancel(queueId, hooks.signal.reason);
    try {
      try {
        await this.queue.add('infer', data, { jobId: queueId, attempts: this.attempts, backoff: { type: 'fixed', delay: 500 }, removeOnComplete: true, removeOnFail: true });
      } catch (e) {
        throw this.unavailable(e);
      }
      const queued = this.pending.get(queueId);
      if (queued) queued.queued = true;
      // A cancel that came while the job was being queued is honoured now.
      if (hooks.signal.aborted) onAbort();
      else hooks.signal.addEventListener('abort', onAbort, { once: true });
      return await outcome;
    } finally {
      hooks.signal.removeEventListener('abort', onAbort);
      this.forget(queueId);
    }
  }

  positionOf(jobId: string): number | null {
    const queueId = this.queueIds.get(jobId);
    const job = queueId === undefined ? undefined : this.pending.get(queueId);
    if (!job) return null;
    if (job.started) return 0;
    const i = this.waiting.indexOf(job.queueId);
    return i < 0 ? null : i + 1;
  }

  order(): readonly string[] {
    const jobIdOf = (queueId: string) => this.pending.get(queueId)?.execution.jobId;
    const running = [...this.pending.values()].filter((p) => p.started).map((p) => p.execution.jobId);
    return [...running, ...this.waiting.map(jobIdOf).filter((id): id is string => id !== undefined)];
  }

  /** Compares digests, so that neither the credential's bytes nor its length show in the time taken. */
  authorizes(header: string | undefined): boolean {
    const match = /^Bearer (.+)$/.exec(header ?? '');
    return match !== null && timingSafeEqual(digest(match[1]!), this.tokenDigest);
  }

  async imageFor(queueId: string): Promise<WorkerFile> {
    const pending = this.live(queueId);
    if (pending) return { path: pending.execution.imagePath, name: path.basename(pending.execution.imagePath) };
    // A job queued before this coordinator restarted: a datastore image is found again by its id.
    const data = await this.jobData(queueId);
    if (!data.imageId) throw new ApiError('JOB_NOT_FOUND', `the input of job "${queueId}" was an upload that no longer exists (its request ended)`);
    const file = await this.app.datastore.imagePath(data.imageId);
    return { path: file, name: path.basename(file) };
  }

  async weightsFor(checksum: string): Promise<WorkerFile> {
    const file = await this.viaRedis(this.redis.hget(WEIGHTS_KEY, checksum));
    if (!file || (await sha256OfFile(file).catch(() => null)) !== checksum) throw new ApiError('MODEL_FILE_MISSING', `no weights with SHA-256 ${checksum} on this coordinator`);
    return { path: file, name: path.basename(file) };
  }

  async complete(queueId: string, labelTempPath: string, labelFileName: string, params: JsonObject): Promise<void> {
    const pending = this.live(queueId);
    const data = pending ? undefined : await this.jobData(queueId);
    const saveLabel = pending?.execution.saveLabel ?? data?.saveLabel;
    if (saveLabel) await this.storeOnce(queueId, saveLabel, labelTempPath, labelFileName, params);
    // Cancelled (or failed) while the result was on its way: nobody waits for it any more.
    if (!pending || pending.settled) {
      await fs.rm(labelTempPath, { force: true });
      return;
    }
    await moveFileAtomic(labelTempPath, pending.execution.outputPath);
    pending.settled = true;
    pending.resolve({ labelPath: pending.execution.outputPath, params, labelSaved: saveLabel !== undefined });
  }

  heartbeat(status: Omit<WorkerStatus, 'lastSeen'>): void {
    this.workerStatus.set(status.name, { ...status, lastSeen: new Date().toISOString() });
  }

  workers(): readonly WorkerStatus[] {
    const now = Date.now();
    for (const [name, w] of this.workerStatus) if (now - Date.parse(w.lastSeen) > WORKER_FORGOTTEN_MS) this.workerStatus.delete(name);
    // Workers know the queue's id; people know the progress API's.
    const jobIdOf = (queueId: string | null) => (queueId === null ? null : (this.pending.get(queueId)?.execution.jobId ?? queueId));
    return [...this.workerStatus.values()].map((w) => ({ ...w, currentJob: jobIdOf(w.currentJob) })).sort((a, b) => a.name.localeCompare(b.name));
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
    for (const p of this.pending.values()) this.settle(p, new ApiError('SHUTTING_DOWN', 'Server is shutting down; the inference was dropped'));
    await Promise.allSettled([this.events.close(), this.queue.close()]);
    this.redis.disconnect();
  }

  /**
   * Stores a job's label once, whichever of its attempts (or a worker thought dead) hands it in, and not at all once
   * the job was cancelled: the first to claim the job's mark stores, a failed store gives the claim back.
   */
  private async storeOnce(queueId: string, destination: NonNullable<InferExecution['saveLabel']>, labelTempPath: string, labelFileName: string, params: JsonObject): Promise<void> {
    if ((await this.viaRedis(this.redis.exists(cancelledKey(queueId)))) === 1) return;
    if ((await this.viaRedis(this.redis.set(savedKey(queueId), 'storing', 'EX', 24 * 3600, 'NX'))) === null) return;
    try {
      await storeLabelCopy(this.app.datastore, destination, labelTempPath, labelFileName, params);
    } catch (e) {
      await this.redis.del(savedKey(queueId)).catch(() => undefined);
      throw e;
    }
    await this.redis.set(savedKey(queueId), 'stored', 'EX', 24 * 3600).catch(() => undefined);
    this.options.log?.('label stored for a job', { job: queueId, image: destination.imageId, tag: destination.tag });
  }

  private requireRedis(): void {
    if (this.redis.status !== 'ready') throw this.unavailable(new Error(`connection ${this.redis.status}`));
  }

  /** A Redis call whose failure is the 503 that says the queue is away. */
  private viaRedis<T>(call: Promise<T>): Promise<T> {
    return call.catch((e: unknown) => Promise.reject(this.unavailable(e)));
  }

  private unavailable(e: unknown): ApiError {
    if (e instanceof ApiError) return e;
    return new ApiError('QUEUE_UNAVAILABLE', `The job queue at ${redactedRedisUrl(this.options.redisUrl)} is not reachable (${e instanceof Error ? e.message : String(e)}); inference resumes when it is back`);
  }

  private async jobData(queueId: string): Promise<InferJobData> {
    const job = await this.viaRedis(Job.fromId<InferJobData>(this.queue, queueId));
    if (!job) throw new ApiError('JOB_NOT_FOUND', `no queued job "${queueId}"`);
    return job.data;
  }

  private live(queueId: string): Pending | undefined {
    const job = this.pending.get(queueId);
    return job && !job.settled ? job : undefined;
  }

  private settle(job: Pending, error: unknown): void {
    if (job.settled) return;
    job.settled = true;
    job.reject(error);
  }

  private started(queueId: string): void {
    const job = this.live(queueId);
    if (!job || job.started) return;
    job.started = true;
    const i = this.waiting.indexOf(queueId);
    if (i >= 0) this.waiting.splice(i, 1);
    job.hooks.onStart();
  }

  /** A job whose worker died (stalled) or failed on an attempt that will be retried goes back in line. */
  private requeued(queueId: string): void {
    const job = this.live(queueId);
    if (!job?.started) return;
    job.started = false;
    this.waiting.unshift(queueId);
    job.hooks.onProgress({ stage: 'queued', done: 0, total: 1 });
  }

  /** A job failed for good: a refusal of its input keeps its code (the worker sends "CODE: detail"), anything else is INFER_FAILED. */
  private failed(queueId: string, reason: string): void {
    const job = this.live(queueId);
    if (!job) return;
    const refusal = /^([A-Z_]+): ([\s\S]*)$/.exec(reason);
    const code = refusal?.[1];
    if (code !== undefined && code in ERROR_CATALOGUE && ERROR_CATALOGUE[code as ErrorCode].status < 500) {
      this.settle(job, new ApiError(code as ErrorCode, refusal?.[2]));
      return;
    }
    this.settle(job, new ApiError('INFER_FAILED', `Failed to execute infer on the workers (${this.attempts} attempt${this.attempts === 1 ? '' : 's'}): ${reason}`));
  }

  /** A waiting job is removed from the queue; a running one is told to stop (its worker aborts between windows). */
  private async cancel(queueId: string, reason: unknown): Promise<void> {
    const job = this.pending.get(queueId);
    if (job) this.settle(job, reason);
    await this.redis.set(cancelledKey(queueId), '1', 'EX', 24 * 3600).catch(() => undefined);
    const removed = await this.queue.remove(queueId).catch(() => 0);
    if (removed === 0) await this.redis.publish(CANCEL_CHANNEL, queueId).catch(() => undefined);
  }

  /** Requests whose job is no longer in Redis (it restarted without persistence, or was flushed) fail instead of waiting forever. */
  private async sweepVanished(): Promise<void> {
    if (this.redis.status !== 'ready') return;
    for (const job of [...this.pending.values()]) {
      if (job.settled || !job.queued) continue;
      const state = await this.queue.getJobState(job.queueId).catch(() => null);
      if (state === 'unknown' && this.live(job.queueId)) {
        this.settle(job, new ApiError('INFER_FAILED', `the job left the queue without a result (Redis at ${redactedRedisUrl(this.options.redisUrl)} lost it: restarted without persistence?); run it again`));
      }
    }
  }

  private forget(queueId: string): void {
    const job = this.pending.get(queueId);
    this.pending.delete(queueId);
    if (job && this.queueIds.get(job.execution.jobId) === queueId) this.queueIds.delete(job.execution.jobId);
    const i = this.waiting.indexOf(queueId);
    if (i >= 0) this.waiting.splice(i, 1);
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
