import { randomUUID } from 'node:crypto';
import { ApiError } from '../../core/errors';
import type { JsonObject, JsonValue } from '../../core/json';
import type { ServerLog } from '../serverLog';

export type TaskStatus = 'SUBMITTED' | 'RUNNING' | 'DONE' | 'ERROR' | 'STOPPED';

/** MONAI Label's task JSON (`GET /train/`): `details` once running, `end_ts` once finished, `result` when the job returned one. */
export interface TaskJson {
  id: string;
  status: TaskStatus;
  request: JsonObject;
  start_ts: string;
  details?: string[];
  end_ts?: string;
  result?: JsonValue;
}

export interface JobContext {
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
}

/** The work of a task; resolve = DONE (with an optional result), reject = ERROR, aborted by `stop()` = STOPPED. */
export type TaskJob = (context: JobContext) => Promise<JsonValue | undefined>;

export interface TaskRunnerOptions {
  /** Names the task kind in messages: "Train" gives MONAI's "++++++++++ Train Task is Already Running". */
  readonly kind: string;
  readonly log: ServerLog;
  /** Log lines kept in `details` (MONAI keeps the last 20). */
  readonly maxDetails?: number;
  /** Finished tasks kept for `?all=true`. */
  readonly maxHistory?: number;
}

interface Entry {
  readonly json: TaskJson;
  readonly job: TaskJob;
  readonly abort: AbortController;
  readonly settled: Promise<TaskJson>;
  readonly resolveSettled: (t: TaskJson) => void;
}

/** `2025-12-24 10:00:00`, local time, as MONAI Label writes task timestamps. */
export function taskTimestamp(date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())} ${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

/**
 * Runs submitted jobs one at a time, in order, and keeps their MONAI-style status JSON. A second submit while one is
 * pending answers 429 unless `enqueue` is set; `stop()` aborts the job's signal and marks it STOPPED at once.
 */
export class TaskRunner {
  private readonly tasks: Entry[] = [];
  private readonly pending: Entry[] = [];
  private active: Entry | null = null;
  private readonly maxDetails: number;
  private readonly maxHistory: number;

  constructor(private readonly options: TaskRunnerOptions) {
    this.maxDetails = options.maxDetails ?? 20;
    this.maxHistory = options.maxHistory ?? 100;
  }

  submit(request: JsonObject, job: TaskJob, enqueue = false): TaskJson {
    if (!enqueue && this.busy()) throw new ApiError('TASK_RUNNING', `++++++++++ ${this.options.kind} Task is Already Running`);
    let resolveSettled!: (t: TaskJson) => void;
    const settled = new Promise<TaskJson>((resolve) => (resolveSettled = resolve));
    const entry: Entry = { json: { id: randomUUID(), status: 'SUBMITTED', request, start_ts: taskTimestamp() }, job, abort: new AbortController(), settled, resolveSettled };
    this.tasks.push(entry);
    if (this.tasks.length > this.maxHistory) this.tasks.splice(0, this.tasks.length - this.maxHistory);
    this.pending.push(entry);
    // Answer as MONAI Label does: the task as submitted; it starts right after.
    const submitted = this.copy(entry.json);
    this.pump();
    return submitted;
  }

  /** Resolves with the task's final JSON (for `run_sync`). */
  async waitFor(id: string): Promise<TaskJson> {
    const entry = this.tasks.find((t) => t.json.id === id);
    if (!entry) throw new ApiError('TASK_NOT_FOUND', `${this.options.kind} task ${id} not found`);
    return this.copy(await entry.settled);
  }

  /** A job stopped but still unwinding does not count: a new submit queues behind it instead of answering 429. */
  busy(): boolean {
    return this.runningEntry() !== null || this.pending.length > 0;
  }

  /** The running task, else the next submitted one, else null. */
  current(): TaskJson | null {
    const entry = this.runningEntry() ?? this.pending[0];
    return entry ? this.copy(entry.json) : null;
  }

  last(): TaskJson | null {
    const entry = this.tasks[this.tasks.length - 1];
    return entry ? this.copy(entry.json) : null;
  }

  all(): TaskJson[] {
    return this.tasks.map((t) => this.copy(t.json));
  }

  /** Stops the running (or else the next submitted) task; its `details` always end with a line saying so. */
  stop(): TaskJson | null {
    const entry = this.runningEntry() ?? this.pending[0];
    if (!entry) return null;
    const index = this.pending.indexOf(entry);
    if (index >= 0) {
      this.pending.splice(index, 1);
      entry.resolveSettled(entry.json);
    }
    this.appendDetail(entry, `${this.options.kind} task stopped by request`);
    this.finish(entry, 'STOPPED');
    entry.abort.abort();
    return this.copy(entry.json);
  }

  /** Stops everything and waits for the running job to return. */
  async close(): Promise<void> {
    const active = this.active;
    while (this.busy()) this.stop();
    if (active) await active.settled;
  }

  private runningEntry(): Entry | null {
    return this.active && this.active.json.status === 'RUNNING' ? this.active : null;
  }

  private pump(): void {
    if (this.active || this.pending.length === 0) return;
    const entry = this.pending.shift() as Entry;
    this.active = entry;
    entry.json.status = 'RUNNING';
    entry.json.details = [];
    this.options.log.info(`${this.options.kind} task started`, { id: entry.json.id });
    const context: JobContext = { signal: entry.abort.signal, log: (line) => this.appendDetail(entry, line) };
    Promise.resolve()
      .then(() => entry.job(context))
      .then(
        (result) => {
          if (result !== undefined && entry.json.status === 'RUNNING') entry.json.result = result;
          this.finish(entry, 'DONE');
        },
        (error: unknown) => {
          if (entry.json.status === 'RUNNING') this.appendDetail(entry, `ERROR: ${error instanceof Error ? error.message : String(error)}`);
          this.finish(entry, 'ERROR');
        },
      )
      .finally(() => {
        this.active = null;
        entry.resolveSettled(entry.json);
        this.pump();
      });
  }

  /** The first final status wins: a job that returns after `stop()` stays STOPPED. */
  private finish(entry: Entry, status: TaskStatus): void {
    if (entry.json.status !== 'RUNNING' && entry.json.status !== 'SUBMITTED') return;
    entry.json.status = status;
    entry.json.end_ts = taskTimestamp();
    this.options.log.info(`${this.options.kind} task ${status}`, { id: entry.json.id });
  }

  private appendDetail(entry: Entry, line: string): void {
    const details = (entry.json.details ??= []);
    details.push(line);
    if (details.length > this.maxDetails) details.splice(0, details.length - this.maxDetails);
  }

  private copy(json: TaskJson): TaskJson {
    return structuredClone(json);
  }
}
