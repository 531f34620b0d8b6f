import * as fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import contentDisposition from 'content-disposition';
import type { Response } from 'express';

/**
 * Sends a stored file as an attachment. The client extracts the name with `filename="(.+)"` or `filename*=`, so it
 * must be quoted; `content-disposition` quotes ASCII names and adds `filename*=UTF-8''…` for others.
 */
export async function sendAttachment(res: Response, file: string, downloadName: string): Promise<void> {
  const stat = await fs.promises.stat(file);
  res.status(200);
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('Content-Disposition', contentDisposition(downloadName));
  res.setHeader('Content-Length', String(stat.size));
  res.setHeader('Last-Modified', stat.mtime.toUTCString());
  await pipeline(fs.createReadStream(file), res);
}
