import { Router } from 'express';
import { requireRole, userOf } from '../auth/requireRole';
import { ApiError } from '../../core/errors';
import { bodyObject, jsonBody } from '../http/jsonBody';
import { queryBool, queryEnum } from '../http/query';
import { runInference } from '../inferService';
import { ORIGINAL_TAG } from '../../core/datastore';
import type { JobContext } from '../tasks/taskRunner';
import type { JsonObject, JsonValue } from '../../core/json';
import type { ServerContext } from '../serverContext';
import { mountTaskStatusRoutes } from './taskStatusRoutes';

/** Runs at most `n` of the given calls at a time, in arrival order. */
function limiter(n: number): <T>(call: () => Promise<T>) => Promise<T> {
  let active = 0;
  const queue: (() => void)[] = [];
  return async (call) => {
    if (active >= n) await new Promise<void>((resolve) => queue.push(resolve));
    active++;
    try {
      return await call();
    } finally {
      active--;
      queue.shift()?.();
    }
  };
}

/** Segments every (or every unlabeled) image through the infer queue, storing each result as the `original` label. */
async function batchInfer(ctx: ServerContext, model: string, images: 'all' | 'unlabeled', params: JsonObject, owner: string, job: JobContext): Promise<JsonValue> {
  const datastore = ctx.app.datastore;
  const ids = images === 'all' ? await datastore.listImages() : await datastore.unlabeledImages();
  const failed: string[] = [];
  let done = 0;
  const next = [...ids.entries()];
  // Fetching an image can be expensive (a DICOMweb series is downloaded and decoded): a few at a time, however many
  // lanes wait on the backend.
  const fetching = limiter(2);
  // As many images in flight as the backend runs at once: one in process, one per worker with a queue.
  const lane = async () => {
    for (let item = next.shift(); item !== undefined; item = next.shift()) {
      const [i, id] = item;
      job.signal.throwIfAborted();
      const started = Date.now();
      try {
        const imagePath = await fetching(() => datastore.imagePath(id));
        const output = await runInference(ctx, { mayWriteLabels: true, owner, model, imageId: id, imagePath, params: { ...params, save_label: true, label_tag: params.label_tag ?? ORIGINAL_TAG }, signal: job.signal });
        await output.cleanup();
        done++;
        job.log(`${i + 1}/${ids.length} ${id}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      } catch (e) {
        if (job.signal.aborted) throw e;
        failed.push(id);
        job.log(`${i + 1}/${ids.length} ${id}: FAILED: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(ctx.inferBackend.parallelism, ids.length)) }, lane));
  return { total: ids.length, done, failed: failed.sort() };
}

/** `POST /batch/infer/{model}?images=all|unlabeled`, `GET`/`DELETE /batch/infer`. */
export function batchInferRoutes(ctx: ServerContext): Router {
  const router = Router();
  mountTaskStatusRoutes(router, { path: '/batch/infer', runner: ctx.batchInferRunner, kind: 'Batch Infer', auth: ctx.auth, readRole: 'user', stopRole: 'admin' });
  router.post('/batch/infer/:model', requireRole(ctx.auth, 'annotator'), jsonBody, async (req, res) => {
    const model = req.params.model as string;
    if (!ctx.app.infers.has(model)) throw new ApiError('MODEL_NOT_FOUND', `Model "${model}" Not Found`);
    const images = queryEnum(req, 'images', ['all', 'unlabeled'] as const, 'unlabeled');
    const params = bodyObject(req);
    const task = ctx.batchInferRunner.submit({ model, images, ...params }, (job) => batchInfer(ctx, model, images, params, userOf(req).username, job), queryBool(req, 'enqueue', false));
    res.json(queryBool(req, 'run_sync', false) ? await ctx.batchInferRunner.waitFor(task.id) : task);
  });
  return router;
}
