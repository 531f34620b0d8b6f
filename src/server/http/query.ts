import type { Request } from 'express';
import { ApiError } from '../../core/errors';

/**
 * Query values as the Python client sends them (`quote_plus`: `+` is a space; Express's query parser decodes it).
 * A repeated key is a client error, not an array.
 */
export function queryString(req: Request, name: string): string | undefined {
  const value: unknown = (req.query as Record<string, unknown>)[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new ApiError('BAD_REQUEST', `query parameter "${name}" must be given once as a plain value`);
  return value;
}

export function requiredQuery(req: Request, name: string): string {
  const value = queryString(req, name);
  if (value === undefined || value === '') throw new ApiError('BAD_REQUEST', `query parameter "${name}" is required`);
  return value;
}

const TRUE = new Set(['true', '1', 'yes', 'on', 't', 'y']);
const FALSE = new Set(['false', '0', 'no', 'off', 'f', 'n']);

/** FastAPI's bool parsing: true/1/yes/on and false/0/no/off, case-insensitive. */
export function queryBool(req: Request, name: string, fallback: boolean): boolean {
  const value = queryString(req, name);
  if (value === undefined || value === '') return fallback;
  const lower = value.toLowerCase();
  if (TRUE.has(lower)) return true;
  if (FALSE.has(lower)) return false;
  throw new ApiError('INVALID_PARAM', `query parameter "${name}" must be a boolean, got ${JSON.stringify(value)}`);
}

export function queryInt(req: Request, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const value = queryString(req, name);
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new ApiError('INVALID_PARAM', `query parameter "${name}" must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  return n;
}

export function queryEnum<T extends string>(req: Request, name: string, allowed: readonly T[], fallback: T): T {
  const value = queryString(req, name);
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ApiError('INVALID_PARAM', `query parameter "${name}" must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}
