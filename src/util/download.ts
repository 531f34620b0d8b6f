import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';

export interface DownloadOptions {
  /** Expected md5 (hex) of the whole file; checked before the final rename. */
  readonly md5?: string;
  readonly onProgress?: (received: number, total: number | undefined) => void;
  /** Connection/idle timeout in ms (default 20 s): offline machines fail fast instead of hanging. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export class DownloadError extends Error {
  override name = 'DownloadError';
}

/**
 * Downloads `url` to `target`: bytes go to `<target>.partial` (resumed with an HTTP Range request when a partial
 * file exists), the checksum is verified, and only then is the file renamed into place.
 */
export async function downloadFile(url: string, target: string, opts: DownloadOptions = {}): Promise<void> {
  const partial = `${target}.partial`;
  let offset = (await fs.stat(partial).catch(() => undefined))?.size ?? 0;
  let res = await request(url, offset, opts);
  if (offset > 0 && res.statusCode === 200) offset = 0; // server ignored the Range: start over
  if (res.statusCode === 416) {
    res.resume();
    offset = 0;
    await fs.rm(partial, { force: true });
    res = await request(url, 0, opts);
  }
  if (res.statusCode !== 200 && res.statusCode !== 206) {
    res.resume();
    throw new DownloadError(`GET ${url} answered HTTP ${res.statusCode}`);
  }
  const length = Number(res.headers['content-length']);
  const total = Number.isFinite(length) ? offset + length : undefined;
  let received = offset;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      received += chunk.length;
      opts.onProgress?.(received, total);
      cb(null, chunk);
    },
  });
  await pipeline(res, counter, createWriteStream(partial, { flags: offset > 0 ? 'a' : 'w' }), { signal: opts.signal });
  if (total !== undefined && received !== total) throw new DownloadError(`GET ${url}: connection closed after ${received} of ${total} bytes; run again to resume`);
  if (opts.md5) {
    const actual = await md5OfFile(partial);
    if (actual !== opts.md5.toLowerCase()) {
      await fs.rm(partial, { force: true });
      throw new DownloadError(`GET ${url}: md5 ${actual} does not match the expected ${opts.md5}; the partial file was removed`);
    }
  }
  await fs.rename(partial, target);
}

export async function md5OfFile(file: string): Promise<string> {
  const hash = createHash('md5');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function request(url: string, offset: number, opts: DownloadOptions, redirects = 5): Promise<http.IncomingMessage> {
  const mod = url.startsWith('https:') ? https : url.startsWith('http:') ? http : undefined;
  if (!mod) return Promise.reject(new DownloadError(`unsupported URL ${url}`));
  return new Promise((resolve, reject) => {
    const req = mod.get(url, { headers: offset > 0 ? { Range: `bytes=${offset}-` } : {}, timeout: opts.timeoutMs ?? 20000, signal: opts.signal }, (res) => {
      const loc = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && loc) {
        res.resume();
        if (redirects === 0) return reject(new DownloadError(`GET ${url}: too many redirects`));
        return resolve(request(new URL(loc, url).toString(), offset, opts, redirects - 1));
      }
      resolve(res);
    });
    req.on('timeout', () => req.destroy(new DownloadError(`GET ${url}: no answer within ${(opts.timeoutMs ?? 20000) / 1000} s`)));
    req.on('error', (e) => reject(e instanceof DownloadError ? e : new DownloadError(`GET ${url} failed: ${e.message}`)));
  });
}
