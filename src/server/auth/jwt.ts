import { createHmac, timingSafeEqual } from 'node:crypto';
import { isJsonObject, type JsonObject } from '../../core/json';

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

function signature(data: string, secret: Buffer): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

/** A compact HS256 JWT with `iat` and `exp` (seconds) added to `claims`. */
export function signJwt(claims: JsonObject, secret: Buffer, lifetimeSeconds: number, now = Date.now()): string {
  const iat = Math.floor(now / 1000);
  const payload = Buffer.from(JSON.stringify({ ...claims, iat, exp: iat + lifetimeSeconds })).toString('base64url');
  const data = `${HEADER}.${payload}`;
  return `${data}.${signature(data, secret).toString('base64url')}`;
}

/**
 * The claims of a valid token signed with `secret`, or null. Only HS256 is accepted (no `alg: none`); `exp` is
 * required and `nbf`, when present, must have passed (RFC 7519 4.1.5).
 */
export function verifyJwt(token: string, secret: Buffer, now = Date.now()): JsonObject | null {
  const [header, payload, sig, ...more] = token.split('.');
  if (header !== HEADER || payload === undefined || sig === undefined || more.length > 0) return null;
  const expected = signature(`${header}.${payload}`, secret);
  const given = Buffer.from(sig, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!isJsonObject(claims) || typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return null;
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf * 1000 > now)) return null;
  return claims;
}
