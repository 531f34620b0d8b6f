import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ensureOnnxModel } from '../../model/onnxModelCache';
import { DownloadError, downloadFile } from '../../util/download';
import type { Resolution } from './bundleRecipe';
import { BUNDLE_MODELS, ModelSource } from './bundleModels';

export interface PullOptions {
  /** Replaces the bundle's sources (a mirror, or a local test server). */
  readonly sources?: readonly ModelSource[];
  readonly onProgress?: (file: string, received: number, total: number | undefined) => void;
  readonly onMessage?: (line: string) => void;
  readonly timeoutMs?: number;
}

export function modelPath(modelsDir: string, resolution: Resolution): string {
  return path.join(modelsDir, BUNDLE_MODELS[resolution].fileName);
}

/**
 * Places the bundle's weights for `resolution` in `modelsDir` (download, checksum, atomic rename) unless present,
 * then converts them to ONNX. Returns the `.pt` path.
 */
export async function pullBundleModel(modelsDir: string, resolution: Resolution, opts: PullOptions = {}): Promise<string> {
  const spec = BUNDLE_MODELS[resolution];
  const target = modelPath(modelsDir, resolution);
  await fs.mkdir(modelsDir, { recursive: true });
  if (!(await fs.stat(target).catch(() => undefined))) {
    const failures: string[] = [];
    for (const source of opts.sources ?? spec.sources) {
      try {
        opts.onMessage?.(`downloading ${spec.fileName} from ${source.url}`);
        await downloadFile(source.url, target, {
          md5: source.md5,
          timeoutMs: opts.timeoutMs,
          onProgress: (r, t) => opts.onProgress?.(spec.fileName, r, t),
        });
        break;
      } catch (e) {
        if (!(e instanceof DownloadError) && !(e as NodeJS.ErrnoException).code) throw e;
        failures.push(`${source.url}: ${(e as Error).message}`);
      }
    }
    if (!(await fs.stat(target).catch(() => undefined))) {
      throw new DownloadError(
        `could not download ${spec.fileName}:\n  ${failures.join('\n  ')}\n` +
          `Without network, download it elsewhere from ${spec.sources[0].url} (md5 ${spec.sources[0].md5}) and place it at ${target}`,
      );
    }
  }
  opts.onMessage?.(`converting ${spec.fileName} to ONNX`);
  await ensureOnnxModel(target);
  return target;
}
