import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const PREFIX = 'scrypt';
const DEFAULTS = { N: 16384, r: 8, p: 1 } as const;
const KEY_BYTES = 32;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, KEY_BYTES, { ...options, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** `scrypt$N$r$p$<salt base64>$<key base64>`: the form the users file stores. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, DEFAULTS);
  return [PREFIX, DEFAULTS.N, DEFAULTS.r, DEFAULTS.p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Parses a stored hash; throws naming the problem (used when loading the users file). */
export function parsePasswordHash(stored: string): { N: number; r: number; p: number; salt: Buffer; key: Buffer } {
  const parts = stored.split('$');
  const [prefix, n, r, p, salt, key] = parts;
  const [N, R, P] = [Number(n), Number(r), Number(p)];
  if (parts.length !== 6 || prefix !== PREFIX || salt === undefined || key === undefined || [N, R, P].some((v) => !Number.isInteger(v) || v < 1)) {
    throw new Error('password hash must look like scrypt$N$r$p$salt$key (make one with hashPassword)');
  }
  return { N, r: R, p: P, salt: Buffer.from(salt, 'base64'), key: Buffer.from(key, 'base64') };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const { N, r, p, salt, key } = parsePasswordHash(stored);
  const candidate = await derive(password, salt, { N, r, p });
  return candidate.length === key.length && timingSafeEqual(candidate, key);
}
