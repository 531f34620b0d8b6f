import { Router } from 'express';
import { requireRole } from '../auth/requireRole';
import { ApiError, isApiError } from '../../core/errors';
import { bodyObject, jsonBody } from '../http/jsonBody';
import { queryBool } from '../http/query';
import { isJsonObject, type JsonObject, type JsonValue } from '../../core/json';
import type { ServerContext } from '../serverContext';
import type { TaskJson } from '../tasks/taskRunner';
import { mountTaskStatusRoutes } from './taskStatusRoutes';

/** Submits a trainer's run to the train runner; the trainer gets the cancel signal and a log for `details`. */
function submitTrain(ctx: ServerContext, model: string, params: JsonObject, enqueue: boolean): TaskJson {
  const trainer = ctx.app.trainers.get(model);
  if (!trainer) throw new ApiError('MODEL_NOT_FOUND', `Trainer "${model}" Not Found; available: ${[...ctx.app.trainers.keys()].join(', ') || 'none'}`);
  const request: JsonObject = { model, ...params };
  trainer.check?.(request);
  return ctx.trainRunner.submit(request, (job) => trainer.run(request, { signal: job.signal, log: job.log, datastore: ctx.app.datastore }), enqueue);
}

/** Train endpoints (spec rows 12-15, section 6). */
export function trainRoutes(ctx: ServerContext): Router {
  const router = Router();
  mountTaskStatusRoutes(router, { path: '/train/', runner: ctx.trainRunner, kind: 'Train', auth: ctx.auth, readRole: 'user', stopRole: 'admin' });

  router.post('/train/:model', requireRole(ctx.auth, 'admin'), jsonBody, async (req, res) => {
    const task = submitTrain(ctx, req.params.model as string, bodyObject(req), queryBool(req, 'enqueue', false));
    res.json(queryBool(req, 'run_sync', false) ? await ctx.trainRunner.waitFor(task.id) : task);
  });

  // Every trainer at once, params keyed by model: {"<model>": {"result": task | null, "detail": str | null}}.
  router.post('/train/', requireRole(ctx.auth, 'admin'), jsonBody, async (req, res) => {
    const body = bodyObject(req);
    const runSync = queryBool(req, 'run_sync', false);
    const answer: Record<string, { result: JsonValue; detail: string | null }> = {};
    for (const model of ctx.app.trainers.keys()) {
      try {
        const given = body[model];
        if (given !== undefined && given !== null && !isJsonObject(given)) throw new ApiError('INVALID_JSON', `params for ${model} must be a JSON object, got ${JSON.stringify(given)}`);
        const params = isJsonObject(given) ? given : {};
        const task = submitTrain(ctx, model, params, true);
        answer[model] = { result: (runSync ? await ctx.trainRunner.waitFor(task.id) : task) as unknown as JsonValue, detail: null };
      } catch (e) {
        if (!isApiError(e)) throw e;
        answer[model] = { result: null, detail: e.detail };
      }
    }
    res.json(answer);
  });
  return router;
}
