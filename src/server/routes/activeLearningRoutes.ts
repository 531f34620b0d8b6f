import { Router } from 'express';
import { requireRole, userOf } from '../auth/requireRole';
import { ApiError } from '../../core/errors';
import { bodyObject, jsonBody } from '../http/jsonBody';
import type { ServerContext } from '../serverContext';
import { isJsonObject } from '../../core/json';

/** `POST /activelearning/{strategy}`: the next image to annotate, or `{}` when none is left. */
export function activeLearningRoutes(ctx: ServerContext): Router {
  const router = Router();
  router.post('/activelearning/:strategy', requireRole(ctx.auth, 'user'), jsonBody, async (req, res) => {
    const name = req.params.strategy as string;
    const strategy = ctx.app.strategies.get(name);
    if (!strategy) throw new ApiError('STRATEGY_NOT_FOUND', `Strategy "${name}" Not Found; available: ${[...ctx.app.strategies.keys()].join(', ')}`);
    const params = bodyObject(req);
    const datastore = ctx.app.datastore;
    const id = await strategy.run({ ...params, strategy: name }, datastore);
    if (id === null) {
      res.json({});
      return;
    }
    const info = await datastore.imageInfo(id);
    const strategyInfo = isJsonObject(info.strategy) ? info.strategy : {};
    const clientId = typeof params.client_id === 'string' ? params.client_id : userOf(req).username;
    await datastore.updateImageInfo(id, { strategy: { ...strategyInfo, [name]: { ts: Math.floor(Date.now() / 1000), client_id: clientId } } });
    res.json({ ...info, id, path: await datastore.imagePath(id) });
  });
  return router;
}
