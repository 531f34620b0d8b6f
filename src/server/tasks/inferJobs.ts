import { randomBytes } from 'node:crypto';
import { ApiError } from '../../core/errors';
import type { JsonObject } from '../../core/json';
import type { InferProgress } from '../../core/tasks';

export type InferJobState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** Ids a client may choose for its job (query `job_id`): no path or header characters, hard to guess at 16+. */
export const JOB_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

/** Refuses a `job_id` outside JOB_ID_PATTERN (400), before anything is uploaded or queued. */
export function checkJobId(id: string): void {
  if (!JOB_ID_PATTERN.test(id)) throw new ApiError('BAD_REQUEST', `job_id must be 8 to 64 letters, digits, "-" or "_", got ${JSON.stringify(id.slice(0, 80))}`);
}

/** Who asks: a job is seen and cancelled by its owner, and by an admin. */
export interface JobRequester {
  readonly username: string;
  readonly isAdmin: boolean;
}

export interface InferJobsOptions {
  /** Where a job stands in the inference queue: 0 running, n waiting n-th, null neither; and the queue's order. */
  readonly queue: { positionOf(id: string): number | null; order(): readonly string[] };
  /** How long a finished job stays visible (a client's last poll must still find it). Default 10 minutes. */
  readonly keepFinishedMs?: number;
  /** At most this many finished jobs are kept, the oldest dropped first. Default 200. */
  readonly keepFinished?: number;
  readonly now?: () => number;
}

interface JobRecord {
  readonly id: string;
  readonly model: string;
  readonly owner: string;
  readonly created: number;
  readonly cancel: AbortController;
  state: InferJobState;
  stage: string;
  done: number;
  total: number;
  started?: number;
  finished?: number;
  detail?: string;
}

/** The handle the inference service drives a job with. */
export interface InferJob {
  readonly id: string;
  /** Aborts on the client's disconnect (the signal given to `open`) and on `DELETE /infer/jobs/{id}`. */
  readonly signal: AbortSignal;
  /** Whether `DELETE /infer/jobs/{id}` (not a disconnect) stopped it. */
  readonly cancelledByRequest: boolean;
  running(): void;
  progress(p: InferProgress): void;
  finish(state: Exclude<InferJobState, 'queued' | 'running'>, detail?: string): void;
}

const RECENT_RUNS = 10;
const round1 = (s: number) => Math.round(s * 10) / 10;

/**
 * Every inference the server runs, queued, running or recently finished, for the progress API (`GET /infer/jobs`).
 * Waiting times are estimates: the mean duration of the model's last runs, and for the running job its own pace.
 */
export class InferJobs {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly durations = new Map<string, number[]>();
  private readonly keepFinishedMs: number;
  private readonly keepFinished: number;
  private readonly now: () => number;

  constructor(private readonly options: InferJobsOptions) {
    this.keepFinishedMs = options.keepFinishedMs ?? 10 * 60 * 1000;
    this.keepFinished = options.keepFinished ?? 200;
    this.now = options.now ?? Date.now;
  }

  /** Registers a job; `id` is the client's `job_id` (checked here) or a fresh one. */
  open(request: { readonly id?: string; readonly model: string; readonly owner: string; readonly signal: AbortSignal }): InferJob {
    this.prune();
    if (request.id !== undefined) checkJobId(request.id);
    if (request.id !== undefined && this.jobs.has(request.id)) throw new ApiError('JOB_ID_IN_USE', `job_id "${request.id}" is already taken by another inference; choose a fresh one`);
    const id = request.id ?? randomBytes(12).toString('base64url');
    const cancel = new AbortController();
    const record: JobRecord = { id, model: request.model, owner: request.owner, created: this.now(), cancel, state: 'queued', stage: 'queued', done: 0, total: 1 };
    this.jobs.set(id, record);
    const signal = AbortSignal.any([request.signal, cancel.signal]);
    return {
      id,
      signal,
      get cancelledByRequest() {
        return cancel.signal.aborted;
      },
      running: () => {
        record.state = 'running';
        record.started = this.now();
      },
      progress: (p) => {
        record.stage = p.stage;
        record.done = p.done;
        record.total = p.total;
      },
      finish: (state, detail) => {
        if (record.finished !== undefined) return;
        record.state = state;
        record.finished = this.now();
        record.detail = detail;
        if (state === 'done' && record.started !== undefined) this.recordDuration(record.model, (record.finished - record.started) / 1000);
      },
    };
  }

  view(id: string, who: JobRequester): JsonObject {
    return this.describe(this.owned(id, who));
  }

  /** The requester's jobs (every job for an admin), newest first. */
  list(who: JobRequester): JsonObject[] {
    this.prune();
    return [...this.jobs.values()]
      .filter((j) => who.isAdmin || j.owner === who.username)
      .sort((a, b) => b.created - a.created)
      .map((j) => this.describe(j));
  }

  /** Stops a queued or running job (it leaves the queue, or stops between windows); a finished one is left as it is. */
  cancel(id: string, who: JobRequester): JsonObject {
    const job = this.owned(id, who);
    if (job.finished === undefined) job.cancel.abort(new ApiError('INFER_CANCELLED', `inference job "${id}" was cancelled`));
    return this.describe(job);
  }

  private owned(id: string, who: JobRequester): JobRecord {
    const job = this.jobs.get(id);
    // Another user's job answers as an unknown one does, so ids cannot be probed.
    if (!job || (!who.isAdmin && job.owner !== who.username)) throw new ApiError('JOB_NOT_FOUND', `no inference job "${id}"`);
    return job;
  }

  private describe(job: JobRecord): JsonObject {
    const now = this.now();
    const position = job.finished === undefined ? this.options.queue.positionOf(job.id) : null;
    const seconds = (from: number | undefined, to = now) => (from === undefined ? null : round1((to - from) / 1000));
    const view: JsonObject = {
      id: job.id,
      model: job.model,
      user: job.owner,
      state: job.state,
      position,
      stage: job.stage,
      done: job.done,
      total: job.total,
      created: new Date(job.created).toISOString(),
      started: job.started === undefined ? null : new Date(job.started).toISOString(),
      finished: job.finished === undefined ? null : new Date(job.finished).toISOString(),
      elapsed_s: seconds(job.started, job.finished ?? now),
      estimated_wait_s: position === null || position === 0 ? null : this.estimatedWait(job.id),
      estimated_remaining_s: job.state === 'running' ? this.remaining(job) : null,
    };
    if (job.detail !== undefined) view.detail = job.detail;
    return view;
  }

  /** Seconds until `id` starts: what the running job has left plus the expected runs of those ahead; null when unknown. */
  private estimatedWait(id: string): number | null {
    let total = 0;
    for (const ahead of this.options.queue.order()) {
      if (ahead === id) return round1(total);
      const job = this.jobs.get(ahead);
      const left = job === undefined ? null : job.state === 'running' ? this.remaining(job) : this.meanDuration(job.model);
      if (left === null) return null;
      total += left;
    }
    return null;
  }

  private remaining(job: JobRecord): number | null {
    if (job.started === undefined) return null;
    const elapsed = (this.now() - job.started) / 1000;
    const mean = this.meanDuration(job.model);
    if (mean !== null) return round1(Math.max(0, mean - elapsed));
    // No history yet: the job's own pace through its windows.
    if (job.stage === 'infer' && job.done > 0) return round1((elapsed * (job.total - job.done)) / job.done);
    return null;
  }

  private meanDuration(model: string): number | null {
    const runs = this.durations.get(model);
    return runs && runs.length > 0 ? runs.reduce((a, b) => a + b, 0) / runs.length : null;
  }

  private recordDuration(model: string, seconds: number): void {
    const runs = this.durations.get(model) ?? [];
    runs.push(seconds);
    if (runs.length > RECENT_RUNS) runs.shift();
    this.durations.set(model, runs);
  }

  private prune(): void {
    const now = this.now();
    const finished = [...this.jobs.values()].filter((j) => j.finished !== undefined).sort((a, b) => (a.finished ?? 0) - (b.finished ?? 0));
    const excess = finished.length - this.keepFinished;
    finished.forEach((j, i) => {
      if (i < excess || now - (j.finished ?? now) > this.keepFinishedMs) this.jobs.delete(j.id);
    });
  }
}
