import * as path from 'node:path';
import { Router } from 'express';
import { requireRole, userOf } from '../auth/requireRole';
import { ApiError } from '../../core/errors';
import { sendAttachment } from '../http/fileDownload';
import { multipartUpload } from '../http/multipartUpload';
import { queryBool, queryInt } from '../http/query';
import type { ServerContext } from '../serverContext';
import { sessionInfoOf, type SessionStore } from '../sessions/sessionStore';

function sessionsOf(ctx: ServerContext): SessionStore {
  if (!ctx.sessions) throw new ApiError('SESSIONS_DISABLED', 'Session Feature is Not Enabled');
  return ctx.sessions;
}

/**
 * Sessions (spec rows 16-18): short-lived uploads that infer can use with `?session_id=`. A session belongs to the
 * user who created it; other users (admins excepted) get 404 for it.
 */
export function sessionRoutes(ctx: ServerContext): Router {
  const router = Router();
  router.put('/session/', requireRole(ctx.auth, 'user'), multipartUpload(ctx.uploads), async (req, res) => {
    const sessions = sessionsOf(ctx);
    if (queryBool(req, 'uncompress', false)) throw new ApiError('INVALID_PARAM', 'uncompress=true (archive uploads) is not supported; upload the image file itself');
    const expiry = queryInt(req, 'expiry', sessions.defaultExpiry, 1, 30 * 24 * 3600);
    const files = (Array.isArray(req.files) ? req.files : []).filter((f) => f.fieldname === 'files');
    const session = await sessions.create(
      files.map((f) => ({ tempPath: f.path, fileName: f.originalname })),
      expiry,
      userOf(req),
    );
    res.json({ session_id: session.name, session_info: sessionInfoOf(session) });
  });

  router.get('/session/:sessionId', requireRole(ctx.auth, 'user'), async (req, res) => {
    const session = await sessionsOf(ctx).get(req.params.sessionId as string, queryBool(req, 'update_ts', false), userOf(req));
    if (queryBool(req, 'image', false)) await sendAttachment(res, session.image, path.basename(session.image));
    else res.json(sessionInfoOf(session));
  });

  router.delete('/session/:sessionId', requireRole(ctx.auth, 'user'), async (req, res) => {
    res.json(sessionInfoOf(await sessionsOf(ctx).remove(req.params.sessionId as string, userOf(req))));
  });
  return router;
}
