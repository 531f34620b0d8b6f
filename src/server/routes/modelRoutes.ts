import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Router } from 'express';
import { requireRole } from '../auth/requireRole';
import { ApiError } from '../../core/errors';
import { sendAttachment } from '../http/fileDownload';
import type { ServerContext } from '../serverContext';

const checksums = new Map<string, { stamp: string; sha256: string }>();

/** SHA-256 of a weights file, cached by size and mtime (the bundle weights are 75 MB). */
async function sha256Of(file: string, stat: fs.Stats): Promise<string> {
  const stamp = `${stat.size}:${stat.mtimeMs}`;
  const hit = checksums.get(file);
  if (hit?.stamp === stamp) return hit.sha256;
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  const sha256 = hash.digest('hex');
  checksums.set(file, { stamp, sha256 });
  return sha256;
}

function modelFile(ctx: ServerContext, model: string): string {
  const task = ctx.app.infers.get(model);
  if (!task) throw new ApiError('MODEL_NOT_FOUND', `Model "${model}" Not Found`);
  const file = task.modelPath();
  if (!file || !fs.existsSync(file)) throw new ApiError('MODEL_FILE_MISSING', `Model "${model}" has no weights file on disk${file ? ` (${path.basename(file)})` : ''}`);
  return file;
}

/** `GET /model/{model}` (the weights file) and `GET /model/info/{model}` (checksum and modification time). */
export function modelRoutes(ctx: ServerContext): Router {
  const router = Router();
  router.get('/model/info/:model', requireRole(ctx.auth, 'admin'), async (req, res) => {
    const file = modelFile(ctx, req.params.model as string);
    const stat = await fs.promises.stat(file);
    res.json({ checksum: `SHA256:${await sha256Of(file, stat)}`, modified_time: Math.floor(stat.mtimeMs / 1000) });
  });
  router.get('/model/:model', requireRole(ctx.auth, 'admin'), async (req, res) => {
    const file = modelFile(ctx, req.params.model as string);
    await sendAttachment(res, file, path.basename(file));
  });
  return router;
}
