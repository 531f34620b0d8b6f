import express, { type Request, type RequestHandler } from 'express';
import { ApiError } from '../../core/errors';
import { isJsonObject, type JsonObject } from '../../core/json';

/**
 * JSON bodies for POST routes only (GET/DELETE never wait for a body: a reused Python client can send a stale
 * content-length with none). Any non-multipart content type is read as JSON; an empty body is `{}`.
 */
export const jsonBody: RequestHandler = express.json({
  limit: '4mb',
  strict: false,
  type: (req) => !String(req.headers['content-type'] ?? '').toLowerCase().includes('multipart'),
});

export function bodyObject(req: Request): JsonObject {
  const body: unknown = req.body;
  if (body === undefined || body === null) return {};
  if (!isJsonObject(body)) throw new ApiError('INVALID_JSON', 'request body must be a JSON object');
  return body;
}
