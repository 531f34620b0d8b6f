import { Router } from 'express';
import { appInfo } from '../appInfo';
import { requireRole } from '../auth/requireRole';
import type { ServerContext } from '../serverContext';

export function infoRoutes(ctx: ServerContext): Router {
  const router = Router();
  router.get('/info/', requireRole(ctx.auth, 'user'), async (_req, res) => {
    res.json(await appInfo(ctx.app));
  });
  return router;
}
