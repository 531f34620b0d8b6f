import { ApiFailure, type Api } from './api.js';
import type { StatisticsReport } from './structureTable.js';

export interface InferOutcome {
  readonly model: string;
  readonly label: ArrayBuffer;
  readonly labelName: string;
  readonly statistics: StatisticsReport | null;
  readonly engine: string;
  readonly seconds: number;
}

/** `GET /infer/jobs/{id}` as the server answers it. */
interface JobView {
  readonly id: string;
  readonly state: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  readonly position: number | null;
  readonly stage: string;
  readonly done: number;
  readonly total: number;
  readonly estimated_wait_s: number | null;
  readonly estimated_remaining_s: number | null;
}

const POLL_MS = 400;

function describe(job: JobView): { text: string; fraction: number } {
  if (job.state === 'queued') {
    const wait = job.estimated_wait_s === null ? '' : `, about ${Math.ceil(job.estimated_wait_s)} s to wait`;
    return { text: `queued: position ${job.position ?? '?'} in line${wait}`, fraction: 0 };
  }
  if (job.stage === 'infer') {
    const left = job.estimated_remaining_s === null ? '' : `, about ${Math.ceil(job.estimated_remaining_s)} s left`;
    return { text: `running: window ${job.done} of ${job.total}${left}`, fraction: job.total > 0 ? job.done / job.total : 0 };
  }
  return { text: `running: ${job.stage}`, fraction: job.stage === 'write' || job.stage === 'invert' ? 1 : 0 };
}

/**
 * One inference the way Slicer sends it (`POST /infer/{model}`, multipart params, answer = params + label file), named
 * with a `job_id` so that its queue position and windows can be polled while the request is open.
 */
export function runInference(
  api: Api,
  request: { readonly model: string; readonly image: string; readonly params: Record<string, unknown> },
  onProgress: (text: string, fraction: number) => void,
): { result: Promise<InferOutcome>; cancel(): Promise<void> } {
  const jobId = crypto.randomUUID().replaceAll('-', '');
  const started = performance.now();
  const form = new FormData();
  form.append('params', JSON.stringify(request.params));
  onProgress('sending', 0);
  const connection = new AbortController();
  const answer = api.fetch('POST', `/infer/${encodeURIComponent(request.model)}?image=${encodeURIComponent(request.image)}&job_id=${jobId}`, { body: form, signal: connection.signal });
  let finished = false;
  const poll = async () => {
    while (!finished) {
      // The list, not `/infer/jobs/{id}`: the job is not there until the server has read the request, and a 404
      // per poll would fill the console.
      const job = (await api.request<JobView[]>('GET', '/infer/jobs/')).find((j) => j.id === jobId);
      if (job && !finished) {
        const { text, fraction } = describe(job);
        onProgress(text, fraction);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  };
  const polling = poll();
  const result = (async () => {
    try {
      const res = await answer;
      const parts = await res.formData();
      const paramsPart = parts.get('params');
      if (typeof paramsPart !== 'string') throw new Error('the answer has no params part');
      const params = JSON.parse(paramsPart) as { statistics?: StatisticsReport; engine?: string };
      const file = parts.get('image');
      if (!(file instanceof Blob)) throw new Error('the answer has no label file');
      return {
        model: request.model,
        label: await file.arrayBuffer(),
        labelName: file instanceof File && file.name ? file.name : 'label.nii.gz',
        statistics: params.statistics ?? null,
        engine: params.engine ?? 'the server',
        seconds: (performance.now() - started) / 1000,
      };
    } finally {
      finished = true;
      await polling.catch(() => undefined);
    }
  })();
  return {
    result,
    // The job is cancelled by id; before the server has registered it (the image is still being read), hanging up
    // cancels the request instead.
    cancel: async () => {
      try {
        await api.request('DELETE', `/infer/jobs/${jobId}`);
      } catch (e) {
        if (!(e instanceof ApiFailure && e.status === 404)) throw e;
        connection.abort(new Error('cancelled before the server queued it'));
      }
    },
  };
}
