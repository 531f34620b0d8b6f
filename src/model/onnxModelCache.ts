import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { readTorchStateDict } from '../weights/readTorchStateDict';
import { writeFileAtomic } from '../util/atomicWrite';
import { buildSegResNetOnnx } from './buildSegResNetOnnx';

/** Where converted models go when the weights' own folder is read-only. */
export function defaultCacheDir(): string {
  return process.env.WBCT_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'wbct');
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Root passes every access() check, so a folder marked read-only (no write bit at all) counts as read-only too. */
async function isWritableDir(dir: string): Promise<boolean> {
  try {
    await fs.access(dir, fs.constants.W_OK);
    return ((await fs.stat(dir)).mode & 0o222) !== 0;
  } catch {
    return false;
  }
}

/**
 * The ONNX file for a weights file: `.onnx` is used as is; a `.pt` is converted once and cached beside it
 * (or in the cache folder when that is read-only) as `<stem>.<sha256[:16]>.onnx`, so new weights under the
 * same name never reuse a stale conversion.
 */
export async function ensureOnnxModel(weightsPath: string, opts: { cacheDir?: string } = {}): Promise<string> {
  if (weightsPath.toLowerCase().endsWith('.onnx')) {
    await fs.access(weightsPath).catch(() => {
      throw new Error(`model file not found: ${weightsPath}`);
    });
    return weightsPath;
  }
  const digest = (await sha256OfFile(weightsPath).catch((e: Error) => {
    throw new Error(`cannot read weights file ${weightsPath}: ${e.message}`);
  })).slice(0, 16);
  const stem = path.basename(weightsPath).replace(/\.(pt|pth)$/i, '');
  const dir = opts.cacheDir ?? ((await isWritableDir(path.dirname(weightsPath))) ? path.dirname(weightsPath) : defaultCacheDir());
  const target = path.join(dir, `${stem}.${digest}.onnx`);
  try {
    await fs.access(target);
    return target;
  } catch {
    // not cached yet
  }
  await convertTorchToOnnx(weightsPath, target);
  return target;
}

/** `wbct convert`: reads a state_dict `.pt`, builds the SegResNet graph and writes it atomically. */
export async function convertTorchToOnnx(weightsPath: string, outPath: string): Promise<void> {
  const sd = await readTorchStateDict(weightsPath);
  const { model } = buildSegResNetOnnx(sd);
  await fs.mkdir(path.dirname(outPath), { recursive: true });
  await writeFileAtomic(outPath, model);
}
