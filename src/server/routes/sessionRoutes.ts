import * as path from 'node:path';
import { Router } from 'express';
import { requireRole } from '../auth/requireRole';
import { ApiError } from '../errors';
import { sendAttachment } from '../http/fileDownload';
import { multipartUpload } from '../http/multipartUpload';
import { queryBool, queryInt } from '../http/query';
import type { ServerContext } from '../serverContext';
import type { SessionStore } from '../sessions/sessionStore';

function sessionsOf(ctx: ServerContext): SessionStore {
  if (!ctx.sessions) throw new ApiError('SESSIONS_DISABLED', 'Session Feature is Not Enabled');
  return ctx.sessions;
}

/** Sessions (spec rows 16-18): short-lived uploads that infer can use with `?session_id=`. */
export function sessionRoutes(ctx: ServerContext): Router {
  const router = Router();
  router.put('/session/', requireRole(ctx.auth, 'user'), multipartUpload(ctx.uploads), async (req, res) => {
    const sessions = sessionsOf(ctx);
    if (queryBool(req, 'uncompress', false)) throw new ApiError('INVALID_PARAM', 'uncompress=true (archive uploads) is not supported; upload the image file itself');
    const expiry = queryInt(req, 'expiry', sessions.defaultExpiry, 1, 30 * 24 * 3600);
    const files = (Array.isArray(req.files) ? req.files : []).filter((f) => f.fieldname === 'files');
    const info = await sessions.create(
      files.map((f) => ({ tempPath: f.path, fileName: f.originalname })),
      expiry,
    );
    res.json({ session_id: info.name, session_info: info });
  });

  router.get('/session/:sessionId', requireRole(ctx.auth, 'user'), async (req, res) => {
    const info = await sessionsOf(ctx).get(req.params.sessionId as string, queryBool(req, 'update_ts', false));
    if (queryBool(req, 'image', false)) await sendAttachment(res, info.image, path.basename(info.image));
    else res.json(info);
  });

  router.delete('/session/:sessionId', requireRole(ctx.auth, 'user'), async (req, res) => {
    res.json(await sessionsOf(ctx).remove(req.params.sessionId as string));
  });
  return router;
}
