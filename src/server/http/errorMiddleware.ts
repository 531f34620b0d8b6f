import type { ErrorRequestHandler, RequestHandler } from 'express';
import { MulterError } from 'multer';
import { isLimitExceeded } from '../../core/resourceLimits';
import { ApiError, type ErrorCode } from '../../core/errors';
import { apiErrorOfLimit } from '../../core/limitErrors';
import type { ServerLog } from '../serverLog';
import { storageErrorOf } from './storageErrors';

/** Multer's size limits are 413; its other codes (count, field-name and nesting limits) are plain 400s. */
const MULTER_CODES: Readonly<Record<string, ErrorCode>> = {
  LIMIT_FILE_SIZE: 'UPLOAD_TOO_LARGE',
  LIMIT_PART_COUNT: 'UPLOAD_TOO_LARGE',
  LIMIT_FIELD_VALUE: 'UPLOAD_TOO_LARGE',
};

/** body-parser and busboy report client mistakes as errors carrying `status`/`statusCode` 4xx and a `type`. */
function clientErrorOf(err: unknown): ApiError | null {
  if (err instanceof MulterError) return new ApiError(MULTER_CODES[err.code] ?? 'BAD_REQUEST', `${err.message}${err.field ? ` (field "${err.field}")` : ''}`);
  if (typeof err !== 'object' || err === null) return null;
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; message?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 0;
  const message = typeof e.message === 'string' ? e.message : 'bad request';
  if (status === 413) return new ApiError('UPLOAD_TOO_LARGE', message);
  if (e.type === 'entity.parse.failed') return new ApiError('INVALID_JSON', `request body is not valid JSON: ${message}`);
  if (status >= 400 && status < 500) return new ApiError('BAD_REQUEST', message);
  // busboy's malformed-multipart errors carry no status.
  if (/^(Malformed part header|Unexpected end of form|Multipart: Boundary not found|Unsupported content type)/.test(message)) {
    return new ApiError('BAD_REQUEST', `malformed multipart body: ${message}`);
  }
  return null;
}

/** Unmatched routes: FastAPI's `{"detail":"Not Found"}`. */
export const notFoundHandler: RequestHandler = (_req, _res, next) => next(new ApiError('NOT_FOUND', 'Not Found'));

/** Maps any error to the catalogue's status and `{"detail": ...}`; unexpected errors are logged and answer 500. */
export function errorMiddleware(log: ServerLog): ErrorRequestHandler {
  return (err, req, res, next) => {
    // The client hung up (its job was cancelled); there is nobody to answer.
    if (req.socket.destroyed && !res.headersSent) {
      log.info('request cancelled: client disconnected', { method: req.method, path: req.path, reason: err instanceof Error ? err.message : String(err) });
      return;
    }
    const apiError = err instanceof ApiError ? err : isLimitExceeded(err) ? apiErrorOfLimit(err) : (clientErrorOf(err) ?? storageErrorOf(err));
    const error = apiError ?? new ApiError('INTERNAL', 'Internal server error');
    if (!apiError || error.status >= 500) {
      log.error('request failed', { method: req.method, path: req.path, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
    if (res.headersSent) {
      next(err);
      return;
    }
    if (error.code === 'NOT_AUTHENTICATED' || error.code === 'INVALID_TOKEN') res.setHeader('WWW-Authenticate', 'Bearer');
    res.status(error.status).json({ detail: error.detail });
  };
}
