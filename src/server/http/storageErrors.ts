import { ApiError } from '../../core/errors';

const FULL = new Set(['ENOSPC', 'EDQUOT']);
const UNAVAILABLE = new Set(['EIO', 'EROFS', 'EMFILE', 'ENFILE', 'EACCES', 'EPERM', 'EBUSY', 'ENOMEM']);

/** The errno code of a Node.js system error, also when another error wraps it as `cause`. */
function errnoOf(e: unknown): string | undefined {
  for (let x: unknown = e, depth = 0; typeof x === 'object' && x !== null && depth < 5; x = (x as { cause?: unknown }).cause, depth++) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return code;
  }
  return undefined;
}

/**
 * A file-system failure of the server's own storage as a clear answer instead of a bare 500: a full disk is 507,
 * other I/O failures 503. The detail says what happened and that nothing was stored; the path stays in the log.
 */
export function storageErrorOf(e: unknown): ApiError | null {
  const code = errnoOf(e);
  if (code === undefined) return null;
  if (FULL.has(code)) return new ApiError('STORAGE_FULL', `the server's disk is full (${code}); nothing was stored, free space on the server and retry`);
  if (UNAVAILABLE.has(code)) return new ApiError('STORAGE_UNAVAILABLE', `the server's storage failed (${code}); nothing was stored, retry later or see GET /logs/`);
  return null;
}
