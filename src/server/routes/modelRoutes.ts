import * as fs from 'node:fs';
import * as path from 'node:path';
import { Router } from 'express';
import { requireRole } from '../auth/requireRole';
import { ApiError } from '../../core/errors';
import { sendAttachment } from '../http/fileDownload';
import type { ServerContext } from '../serverContext';
import { sha256OfFile } from '../../util/fileChecksum';

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
    res.json({ checksum: `SHA256:${await sha256OfFile(file)}`, modified_time: Math.floor(stat.mtimeMs / 1000) });
  });
  router.get('/model/:model', requireRole(ctx.auth, 'admin'), async (req, res) => {
    const file = modelFile(ctx, req.params.model as string);
    await sendAttachment(res, file, path.basename(file));
  });
  return router;
}
