import type { Request, RequestHandler } from 'express';
import type { AuthService } from './authService';
import { satisfiesRole, type AuthUser, type Role } from './roles';

const users = new WeakMap<Request, AuthUser>();

/** Route guard: authenticates the request and checks the role the spec's Role column names for the endpoint. */
export function requireRole(auth: AuthService, role: Role): RequestHandler {
  return (req, _res, next) => {
    users.set(req, auth.authorize(req.headers.authorization, role));
    next();
  };
}

/** The user `requireRole` admitted (routes without a guard never call this). */
export function userOf(req: Request): AuthUser {
  const user = users.get(req);
  if (!user) throw new Error(`no authenticated user on ${req.method} ${req.path}: route is missing requireRole`);
  return user;
}

/** Whether the user `requireRole` admitted also holds `role` (for a right narrower than the route's own). */
export function userHasRole(req: Request, role: Role): boolean {
  return satisfiesRole(userOf(req).roles, role);
}
