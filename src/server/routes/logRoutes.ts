import { Router } from 'express';
import { requireRole } from '../auth/requireRole';
import { queryBool, queryInt } from '../http/query';
import type { ServerContext } from '../serverContext';

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `GET /logs/?lines=300&html=true&text=false&refresh=0`: the tail of the structured server log. */
export function logRoutes(ctx: ServerContext): Router {
  const router = Router();
  router.get('/logs/', requireRole(ctx.auth, 'admin'), (req, res) => {
    const lines = ctx.log.tail(queryInt(req, 'lines', 300, 0, 100000));
    const refresh = queryInt(req, 'refresh', 0, 0, 3600);
    if (queryBool(req, 'text', false) || !queryBool(req, 'html', true)) {
      res.type('text/plain').send(lines.join('\n') + (lines.length ? '\n' : ''));
      return;
    }
    const meta = refresh > 0 ? `<meta http-equiv="refresh" content="${refresh}">` : '';
    res.type('text/html').send(`<!doctype html><html><head>${meta}<title>wbct logs</title></head><body><pre>${escapeHtml(lines.join('\n'))}</pre></body></html>`);
  });
  return router;
}
