import express, { Router } from 'express';
import { LoginThrottledError } from '../auth/loginThrottle';
import { ApiError } from '../../core/errors';
import { formField } from '../http/multipartUpload';
import type { ServerContext } from '../serverContext';

/**
 * `GET /auth/`, `POST /auth/token` (form `username`, `password`; failed logins throttled per name and address, 429
 * with `Retry-After`), `GET /auth/token/valid`. Mounted only when auth is on: with auth off `/auth/` is a plain
 * 404, which the client reads as "auth disabled".
 */
export function authRoutes(ctx: ServerContext): Router {
  const router = Router();
  router.get('/auth/', (_req, res) => {
    res.json({ enabled: true, client_id: 'monailabel-app', realm: ctx.auth.realm });
  });
  router.post('/auth/token', express.urlencoded({ extended: false, limit: '64kb' }), async (req, res) => {
    const username = formField(req, 'username');
    const password = formField(req, 'password');
    if (!username || password === undefined) throw new ApiError('BAD_REQUEST', 'form fields "username" and "password" are required');
    let token: string;
    try {
      token = await ctx.auth.issueToken(username, password, req.ip ?? req.socket.remoteAddress ?? '');
    } catch (e) {
      if (e instanceof LoginThrottledError) res.setHeader('Retry-After', String(e.retryAfterSeconds));
      throw e;
    }
    res.json({ access_token: token, token_type: 'bearer' });
  });
  router.get('/auth/token/valid', (req, res) => {
    const user = ctx.auth.authenticate(req.headers.authorization);
    res.json({ username: user.username, email: user.email, name: user.name, roles: user.roles });
  });
  return router;
}
