import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Request, RequestHandler } from 'express';
import multer from 'multer';
import { ApiError } from '../../core/errors';
import { isJsonObject, type JsonObject } from '../../core/json';
import type { IncomingFile } from '../../core/datastore';

export interface UploadLimits {
  /** Where multer writes parts before the datastore moves them. */
  readonly dir: string;
  readonly maxFileBytes: number;
}

/**
 * Parses a multipart body to temp files (any file field names; the routes pick the ones they know) in a folder of
 * the request's own, removed with everything in it when the response closes, whether or not a route moved the files
 * and however the request ended. A client that disconnects mid-body leaves multer with entries that have no `path`
 * (and possibly a file still being written), so cleanup goes by folder, never by the entries.
 */
export function multipartUpload(limits: UploadLimits): RequestHandler {
  fs.mkdirSync(limits.dir, { recursive: true });
  const storage = multer.diskStorage({
    destination: (req, _file, cb) => cb(null, requestDirOf(req)),
    filename: (_req, _file, cb) => cb(null, randomBytes(12).toString('hex')),
  });
  const parse = multer({ storage, limits: { fileSize: limits.maxFileBytes, files: 8, fields: 64, fieldSize: 1 << 20 } }).any();
  return (req, res, next) => {
    const dir = path.join(limits.dir, `req-${randomBytes(8).toString('hex')}`);
    REQUEST_DIRS.set(req, dir);
    res.on('close', () => void fs.promises.rm(dir, { recursive: true, force: true }).catch(() => undefined));
    fs.promises.mkdir(dir).then(
      () => parse(req, res, next),
      (e: unknown) => next(e),
    );
  };
}

const REQUEST_DIRS = new WeakMap<Request, string>();

function requestDirOf(req: Request): string {
  const dir = REQUEST_DIRS.get(req);
  if (dir === undefined) throw new Error('multipart upload folder missing for this request');
  return dir;
}

function uploadedFiles(req: Request): Express.Multer.File[] {
  return Array.isArray(req.files) ? req.files : [];
}

/** The first file part named `field`, or undefined. */
export function fileField(req: Request, field: string): IncomingFile | undefined {
  const file = uploadedFiles(req).find((f) => f.fieldname === field && typeof f.path === 'string');
  return file ? { tempPath: file.path, fileName: file.originalname } : undefined;
}

export function requiredFileField(req: Request, field: string): IncomingFile {
  const file = fileField(req, field);
  if (!file) throw new ApiError('MISSING_FILE', `multipart file part "${field}" is required`);
  return file;
}

/** A text form field (`client_id`, ...), or undefined. */
export function formField(req: Request, name: string): string | undefined {
  const body: unknown = req.body;
  if (!isJsonObject(body)) return undefined;
  const value = body[name];
  return typeof value === 'string' ? value : undefined;
}

/** The `params` form field: a JSON object string, `{}` when absent. */
export function paramsField(req: Request): JsonObject {
  const text = formField(req, 'params');
  if (text === undefined || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ApiError('INVALID_JSON', `form field "params" is not valid JSON: ${(e as Error).message}`);
  }
  if (!isJsonObject(value)) throw new ApiError('INVALID_JSON', 'form field "params" must be a JSON object');
  return value;
}
