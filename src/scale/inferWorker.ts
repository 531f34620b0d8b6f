import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import IORedis from 'ioredis';
import { isApiError } from '../core/errors';
import type { JsonObject } from '../core/json';
import { apiErrorOfLimit } from '../core/limitErrors';
import { isLimitExceeded, type ResourceLimits } from '../core/resourceLimits';
import type { InferProgress, InferResult } from '../core/tasks';
import { CoordinatorClient, CoordinatorError } from './coordinatorClient';
import { CANCEL_CHANNEL, INFER_QUEUE, type InferJobData, type InferJobReturn } from './inferJobData';
import { WeightsCache } from './weightsCache';

/** One model run on this machine, as the app's infer task does it. */
export interface WorkerRun {
  readonly model: string;
  readonly weightsPath: string;
  readonly imagePath: string;
  readonly outputPath: string;
  readonly params: JsonObject;
  readonly limits: ResourceLimits;
  readonly signal: AbortSignal;
  readonly onProgress: (progress: InferProgress) => void;
}

export interface InferWorkerOptions {
  readonly redisUrl: string;
  /** The coordinator's base URL (`wbct serve --queue` of the same Redis). */
  readonly server: string;
  /** The worker credential (the coordinator's `--worker-token`). */
  readonly token: string;
  readonly name: string;
  readonly threads: number;
  /** What runs the network here, for the coordinator's worker list. */
  readonly engine: string;
  /** Model versions and each job's files. */
  readonly cacheDir: string;
  /** A job whose worker stops renewing its lock for this long (killed, frozen) is given to another worker. Default 30 s. */
  readonly lockMs?: number;
  readonly heartbeatMs?: number;
  readonly run: (run: WorkerRun) => Promise<InferResult>;
  readonly log?: (line: string) => void;
}

/**
 * `wbct worker`: takes inference jobs from the queue one at a time, fetches the image and the job's model version
 * from the coordinator, runs the same pipeline, and hands the label back. A refusal of the input (a 4xx) fails the job
 * at once; anything else (a crash, a lost coordinator) is retried by BullMQ, on this worker or another.
 */
export class InferWorker {
  private worker: Worker<InferJobData, InferJobReturn> | undefined;
  private subscriber: IORedis | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly client: CoordinatorClient;
  private readonly weights: WeightsCache;
  private currentJob: string | null = null;
  private jobsDone = 0;

  constructor(private readonly options: InferWorkerOptions) {
    this.client = new CoordinatorClient(options.server, options.token);
    this.weights = new WeightsCache(path.join(options.cacheDir, 'weights'), this.client);
  }

  async start(): Promise<void> {
    // Files of jobs this worker was running when it was killed.
    await fs.mkdir(this.options.cacheDir, { recursive: true });
    for (const entry of await fs.readdir(this.options.cacheDir)) if (entry.startsWith('job-')) await fs.rm(path.join(this.options.cacheDir, entry), { recursive: true, force: true });
    const lockMs = this.options.lockMs ?? 30_000;
    const connection = { url: this.options.redisUrl, maxRetriesPerRequest: null };
    this.worker = new Worker<InferJobData, InferJobReturn>(INFER_QUEUE, (job, _token, signal) => this.process(job, signal), {
      connection,
      concurrency: 1,
      lockDuration: lockMs,
      stalledInterval: lockMs,
      maxStalledCount: 1,
    });
    this.worker.on('error', (e) => this.options.log?.(`queue: ${e.message}`));
    this.worker.on('failed', (job, e) => this.options.log?.(`job ${job?.id ?? '?'} failed: ${e.message}`));
    this.subscriber = new IORedis(this.options.redisUrl, { maxRetriesPerRequest: null });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (_channel, jobId: string) => {
      if (this.worker?.cancelJob(jobId, 'cancelled by the coordinator')) this.options.log?.(`job ${jobId}: cancelled`);
    });
    await this.subscriber.subscribe(CANCEL_CHANNEL);
    await this.worker.waitUntilReady();
    const beat = () => void this.client.heartbeat(this.status()).catch((e: unknown) => this.options.log?.(`heartbeat: ${e instanceof Error ? e.message : String(e)}`));
    beat();
    this.heartbeatTimer = setInterval(beat, this.options.heartbeatMs ?? 5000);
  }

  /** Stops taking jobs; the running one finishes first. */
  async close(): Promise<void> {
    clearInterval(this.heartbeatTimer);
    await this.worker?.close();
    this.subscriber?.disconnect();
  }

  private status() {
    return { name: this.options.name, host: os.hostname(), threads: this.options.threads, engine: this.options.engine, currentJob: this.currentJob, jobsDone: this.jobsDone };
  }

  private async process(job: Job<InferJobData, InferJobReturn>, signal?: AbortSignal): Promise<InferJobReturn> {
    const jobId = job.id as string;
    const abort = signal ?? new AbortController().signal;
    const dir = await fs.mkdtemp(path.join(this.options.cacheDir, 'job-'));
    this.currentJob = jobId;
    this.options.log?.(`job ${jobId}: ${job.data.model} on ${job.data.imageName} (attempt ${job.attemptsStarted})`);
    try {
      const weightsPath = await this.weights.ensure(job.data.weights);
      const imagePath = path.join(dir, path.basename(job.data.imageName));
      await this.client.download(`/worker/jobs/${encodeURIComponent(jobId)}/image`, imagePath, abort);
      const outputPath = path.join(dir, `label${job.data.resultExtension}`);
      const result = await this.options.run({
        model: job.data.model,
        weightsPath,
        imagePath,
        outputPath,
        params: job.data.params,
        limits: job.data.limits,
        signal: abort,
        onProgress: (p) => void job.updateProgress({ stage: p.stage, done: p.done, total: p.total }).catch(() => undefined),
      });
      await this.client.uploadResult(jobId, result.labelPath, `${jobId}${job.data.resultExtension}`, { ...result.params, worker: this.options.name, model_version: job.data.weights.checksum });
      this.jobsDone++;
      return { worker: this.options.name };
    } catch (e) {
      if (abort.aborted) throw new UnrecoverableError('cancelled');
      // The input itself was refused: another attempt would be refused too. The code travels in the reason.
      const refusal = isLimitExceeded(e) ? apiErrorOfLimit(e) : isApiError(e) ? e : null;
      if (refusal && refusal.status < 500) throw new UnrecoverableError(`${refusal.code}: ${refusal.detail}`);
      // The coordinator refused (the job's upload is gone, its model version unknown): retrying cannot help.
      if (e instanceof CoordinatorError && e.status >= 400 && e.status < 500) throw new UnrecoverableError(`INFER_FAILED: ${e.message}`);
      throw e;
    } finally {
      this.currentJob = null;
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
}
