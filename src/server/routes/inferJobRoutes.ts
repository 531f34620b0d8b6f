import { Router, type Request } from 'express';
import { requireRole, userHasRole, userOf } from '../auth/requireRole';
import type { ServerContext } from '../serverContext';
import type { JobRequester } from '../tasks/inferJobs';

function requester(req: Request): JobRequester {
  return { username: userOf(req).username, isAdmin: userHasRole(req, 'admin') };
}

/**
 * The progress API (not in MONAI Label): `GET /infer/jobs` lists the requester's inferences, `GET /infer/jobs/{id}`
 * polls one (state, queue position, stage, windows done / total, estimated wait), `DELETE /infer/jobs/{id}` cancels it.
 * A client names its job with `POST /infer/{model}?job_id=<id>` to poll it while the request is open.
 */
export function inferJobRoutes(ctx: ServerContext): Router {
  const router = Router();
  router.get('/infer/jobs/', requireRole(ctx.auth, 'user'), (req, res) => {
    res.json(ctx.inferJobs.list(requester(req)));
  });
  router.get('/infer/jobs/:id', requireRole(ctx.auth, 'user'), (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json(ctx.inferJobs.view(req.params.id as string, requester(req)));
  });
  router.delete('/infer/jobs/:id', requireRole(ctx.auth, 'user'), (req, res) => {
    res.json(ctx.inferJobs.cancel(req.params.id as string, requester(req)));
  });
  return router;
}
