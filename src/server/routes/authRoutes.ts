import express, { Router } from 'express';
import { ApiError } from '../errors';
import { formField } from '../http/multipartUpload';
import type { ServerContext } from '../serverContext';

/**
 * `GET /auth/`, `POST /auth/token` (form `username`, `password`), `GET /auth/token/valid`. Mounted only when auth is
 * on: with auth off `/auth/` is a plain 404, which the client reads as "auth disabled".
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
    res.json({ access_token: await ctx.auth.issueToken(username, password), token_type: 'bearer' });
  });
  router.get('/auth/token/valid', (req, res) => {
    const user = ctx.auth.authenticate(req.headers.authorization);
    res.json({ username: user.username, email: user.email, name: user.name, roles: user.roles });
  });
  return router;
}
