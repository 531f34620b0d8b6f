import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { isJsonObject, type JsonObject } from '../../core/json';
import type { LoginThrottleOptions } from './loginThrottle';
import { parsePasswordHash } from './passwords';
import { isRole, type AuthUser } from './roles';

export interface StoredUser extends AuthUser {
  readonly passwordHash: string;
}

export interface AuthConfig {
  readonly users: ReadonlyMap<string, StoredUser>;
  /** HMAC key for tokens; from the file's `secret`, else `WBCT_AUTH_SECRET`, else random per process. */
  readonly secret: Buffer;
  readonly tokenLifetimeSeconds: number;
  /** Reported by `GET /auth/` as `realm`. */
  readonly realm: string;
  /** Failed-login throttling at `POST /auth/token`; unset fields take `DEFAULT_LOGIN_THROTTLE`'s. */
  readonly loginThrottle?: Partial<LoginThrottleOptions>;
  /** Milliseconds since the epoch, for token times and login throttling (default `Date.now`; tests inject one). */
  readonly now?: () => number;
}

function fail(file: string, problem: string): never {
  throw new Error(`auth config ${file}: ${problem}`);
}

function userOf(file: string, v: unknown, index: number): StoredUser {
  if (!isJsonObject(v)) fail(file, `users[${index}] must be an object`);
  const { username, password, email, name, roles } = v;
  if (typeof username !== 'string' || username === '') fail(file, `users[${index}].username must be a non-empty string`);
  if (typeof password !== 'string') fail(file, `user "${username}": "password" must be a scrypt hash string`);
  try {
    parsePasswordHash(password);
  } catch (e) {
    fail(file, `user "${username}": ${(e as Error).message}`);
  }
  if (!Array.isArray(roles) || roles.length === 0 || !roles.every(isRole)) {
    fail(file, `user "${username}": "roles" must be a non-empty list of user, annotator, reviewer, admin`);
  }
  return {
    username,
    passwordHash: password,
    email: typeof email === 'string' ? email : '',
    name: typeof name === 'string' ? name : username,
    roles: roles.filter(isRole),
  };
}

const THROTTLE_FIELDS = { max_failures_per_user: 'maxFailuresPerUser', max_failures_per_address: 'maxFailuresPerAddress', window_seconds: 'windowSeconds' } as const;

function throttleOf(file: string, v: JsonObject): Partial<LoginThrottleOptions> {
  const out: { -readonly [K in keyof LoginThrottleOptions]?: number } = {};
  for (const [key, value] of Object.entries(v)) {
    if (!(key in THROTTLE_FIELDS)) fail(file, `"login_throttle" has unknown field "${key}" (known: ${Object.keys(THROTTLE_FIELDS).join(', ')})`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) fail(file, `"login_throttle.${key}" must be an integer >= 1`);
    out[THROTTLE_FIELDS[key as keyof typeof THROTTLE_FIELDS]] = value;
  }
  return out;
}

/**
 * Reads the users file: `{"secret"?: str (>= 32 chars), "token_lifetime_seconds"?: int, "realm"?: str,
 * "login_throttle"?: {"max_failures_per_user"?, "max_failures_per_address"?, "window_seconds"?},
 * "users": [{"username", "password": "scrypt$...", "email"?, "name"?, "roles": ["annotator", ...]}]}`.
 * Passwords are stored only as scrypt hashes (`hashPassword`).
 */
export function loadAuthConfig(file: string, env: NodeJS.ProcessEnv = process.env): AuthConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    fail(file, `cannot read it as JSON (${(e as Error).message})`);
  }
  if (!isJsonObject(raw) || !Array.isArray(raw.users)) fail(file, 'must be an object with a "users" list');
  const users = new Map<string, StoredUser>();
  raw.users.forEach((u, i) => {
    const user = userOf(file, u, i);
    if (users.has(user.username)) fail(file, `user "${user.username}" is listed twice`);
    users.set(user.username, user);
  });
  const secretText = typeof raw.secret === 'string' ? raw.secret : env.WBCT_AUTH_SECRET;
  if (secretText !== undefined && secretText.length < 32) fail(file, 'the token secret must be at least 32 characters');
  const lifetime = raw.token_lifetime_seconds ?? 3600;
  if (typeof lifetime !== 'number' || !Number.isInteger(lifetime) || lifetime < 60) fail(file, '"token_lifetime_seconds" must be an integer >= 60');
  if (raw.login_throttle !== undefined && !isJsonObject(raw.login_throttle)) fail(file, '"login_throttle" must be an object');
  return {
    users,
    secret: secretText !== undefined ? Buffer.from(secretText, 'utf8') : randomBytes(32),
    tokenLifetimeSeconds: lifetime,
    realm: typeof raw.realm === 'string' ? raw.realm : 'wbct',
    loginThrottle: isJsonObject(raw.login_throttle) ? throttleOf(file, raw.login_throttle) : {},
  };
}
