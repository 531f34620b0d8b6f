import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { loadAuthConfig, type AuthConfig } from '../../src/server/auth/authConfig';
import { hashPassword } from '../../src/server/auth/passwords';
import type { Role } from '../../src/server/auth/roles';

/** Test-only helpers for servers with auth on: a users file with scrypt hashes, and real logins. */
export interface TestUser {
  readonly username: string;
  readonly password: string;
  readonly roles: readonly Role[];
}

export const TEST_SECRET = 'test secret, forty characters long .....';

/** Writes a users file for `users` (passwords hashed), loads it with `loadAuthConfig`, and adds `extra`. */
export async function authConfigFor(users: readonly TestUser[], extra: Partial<AuthConfig> = {}, fileFields: Record<string, unknown> = {}): Promise<AuthConfig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-users-'));
  try {
    const file = path.join(dir, 'users.json');
    const hashed = await Promise.all(users.map(async (u) => ({ username: u.username, password: await hashPassword(u.password), roles: u.roles })));
    fs.writeFileSync(file, JSON.stringify({ secret: TEST_SECRET, ...fileFields, users: hashed }));
    return { ...loadAuthConfig(file, {}), ...extra };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Logs every user in through `POST /auth/token`; the `Authorization` header value per user name. Declare `users`
 * `as const satisfies readonly TestUser[]` to have the answer keyed by exactly their names.
 */
export async function loginAll<const U extends readonly TestUser[]>(server: Parameters<typeof request>[0], users: U): Promise<Record<U[number]['username'], string>> {
  const headers = new Map<U[number]['username'], string>();
  for (const u of users) {
    const res = await request(server).post('/auth/token').type('form').send({ username: u.username, password: u.password, grant_type: 'password' });
    if (res.status !== 200) throw new Error(`login of ${u.username} failed: ${res.status} ${JSON.stringify(res.body)}`);
    headers.set(u.username, `${res.body.token_type} ${res.body.access_token}`);
  }
  // Every name of `users` was set just above.
  return Object.fromEntries(headers) as Record<U[number]['username'], string>;
}
