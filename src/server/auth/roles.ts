/** MONAI Label's roles; each includes the ones after it (admin can do everything a user can). */
export const ROLES = ['admin', 'reviewer', 'annotator', 'user'] as const;
export type Role = (typeof ROLES)[number];

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

/** Whether a user holding `held` may act where `needed` is required. */
export function satisfiesRole(held: readonly Role[], needed: Role): boolean {
  const rank = (r: Role) => ROLES.indexOf(r);
  return held.some((r) => rank(r) <= rank(needed));
}

export interface AuthUser {
  readonly username: string;
  readonly email: string;
  readonly name: string;
  readonly roles: readonly Role[];
}

/** With auth off every request runs as `admin`, who holds every role (MONAI Label's behaviour). */
export const ANONYMOUS_ADMIN: AuthUser = { username: 'admin', email: 'admin@local', name: 'admin', roles: [...ROLES] };
