import { Router } from 'express';
import { requireRole } from '../auth/requireRole';
import { ApiError } from '../../core/errors';
import { bodyObject, jsonBody } from '../http/jsonBody';
import { queryBool } from '../http/query';
import type { ScoringMethod } from '../../core/tasks';
import type { JsonObject, JsonValue } from '../../core/json';
import type { ServerContext } from '../serverContext';
import { mountTaskStatusRoutes } from './taskStatusRoutes';

/** `POST /scoring/{method}` (or `/scoring/` for all methods) as a task; `GET`/`DELETE /scoring/` like train. */
export function scoringRoutes(ctx: ServerContext): Router {
  const router = Router();
  mountTaskStatusRoutes(router, { path: '/scoring/', runner: ctx.scoringRunner, kind: 'Scoring', auth: ctx.auth, readRole: 'user', stopRole: 'admin' });

  const submit = async (req: import('express').Request, res: import('express').Response, methods: Map<string, ScoringMethod>) => {
    const params = bodyObject(req);
    const request: JsonObject = { methods: [...methods.keys()], ...params };
    const task = ctx.scoringRunner.submit(
      request,
      async (job) => {
        const results: Record<string, JsonValue> = {};
        for (const [name, method] of methods) {
          job.log(`scoring with ${name}`);
          results[name] = await method.run(params, { signal: job.signal, log: job.log, datastore: ctx.app.datastore });
        }
        return results;
      },
      queryBool(req, 'enqueue', false),
    );
    res.json(queryBool(req, 'run_sync', false) ? await ctx.scoringRunner.waitFor(task.id) : task);
  };

  router.post('/scoring/', requireRole(ctx.auth, 'annotator'), jsonBody, (req, res) => submit(req, res, new Map(ctx.app.scoring)));
  router.post('/scoring/:method', requireRole(ctx.auth, 'annotator'), jsonBody, (req, res) => {
    const name = req.params.method as string;
    const method = ctx.app.scoring.get(name);
    if (!method) throw new ApiError('SCORING_NOT_FOUND', `Scoring method "${name}" Not Found; available: ${[...ctx.app.scoring.keys()].join(', ') || 'none'}`);
    return submit(req, res, new Map([[name, method]]));
  });
  return router;
}
