import * as fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { WorkerStatus } from '../core/inferBackend';
import type { JsonObject } from '../core/json';

/** The coordinator answered with an error status (kept, so that a refusal is not retried like an outage). */
export class CoordinatorError extends Error {
  override name = 'CoordinatorError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A worker's HTTP calls to its coordinator, with the worker credential. */
export class CoordinatorClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
    private readonly reconnectMs = 120_000,
  ) {}

  private url(path: string): string {
    return `${this.baseUrl.replace(/\/+$/, '')}${path}`;
  }

  /**
   * One call; while the coordinator cannot be reached at all (it is restarting) it is tried again for up to
   * `reconnectMs`, so a finished job's result is not thrown away over a restart. Answers (any status) are not retried.
   */
  private async call(method: string, path: string, init: { body?: string | FormData; headers?: Record<string, string>; signal?: AbortSignal; once?: boolean } = {}): Promise<Response> {
    const deadline = Date.now() + (init.once ? 0 : this.reconnectMs);
    let res: Response;
    for (let wait = 250; ; wait = Math.min(wait * 2, 4000)) {
      try {
        res = await fetch(this.url(path), { method, body: init.body, signal: init.signal, headers: { Authorization: `Bearer ${this.token}`, ...init.headers } });
        // 503: the coordinator is up but cannot serve now (its Redis blinked, it is stopping): as unreachable.
        if (res.status !== 503 || init.once || Date.now() + wait > deadline) break;
        await res.body?.cancel();
        await new Promise((r) => setTimeout(r, wait));
        continue;
      } catch (e) {
        if (init.signal?.aborted || Date.now() + wait > deadline) throw new Error(`coordinator ${this.baseUrl} unreachable for ${method} ${path}: ${e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e)}`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
    if (!res.ok) {
      const text = await res.text();
      let detail = text.slice(0, 300);
      try {
        detail = (JSON.parse(text) as { detail?: string }).detail ?? detail;
      } catch {
        // not JSON
      }
      throw new CoordinatorError(res.status, `coordinator answered ${res.status} to ${method} ${path}: ${detail}`);
    }
    return res;
  }

  /** Streams a file from the coordinator to `target` (the caller renames or removes it). */
  async download(path: string, target: string, signal?: AbortSignal): Promise<void> {
    const res = await this.call('GET', path, { signal });
    if (!res.body) throw new Error(`coordinator sent no body for GET ${path}`);
    await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>), fs.createWriteStream(target), { signal });
  }

  async uploadResult(jobId: string, labelPath: string, fileName: string, params: JsonObject): Promise<void> {
    const form = new FormData();
    form.append('params', JSON.stringify(params));
    form.append('label', await fs.openAsBlob(labelPath), fileName);
    await this.call('PUT', `/worker/jobs/${encodeURIComponent(jobId)}/result`, { body: form });
  }

  async heartbeat(status: Omit<WorkerStatus, 'lastSeen'>): Promise<void> {
    const body = JSON.stringify({ name: status.name, host: status.host, threads: status.threads, engine: status.engine, current_job: status.currentJob, jobs_done: status.jobsDone });
    await this.call('POST', '/worker/heartbeat', { body, headers: { 'Content-Type': 'application/json' }, once: true });
  }
}
