import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Resolution } from './bundleRecipe';
import { ensureOnnxModel } from '../../model/onnxModelCache';
import { removeStaleTempFilesSync, writeFileAtomic } from '../../util/atomicWrite';
import { BUNDLE_MODELS } from './bundleModels';

/** Which weights serve each resolution; fine-tuned versions never overwrite the bundle's files. */
export interface ModelFileSource {
  current(resolution: Resolution): string;
}

/** Fixed files per resolution, or a source that can change (a new version after training). */
export type ModelFiles = Readonly<Record<Resolution, string>> | ModelFileSource;

export function currentModelFile(files: ModelFiles, resolution: Resolution): string {
  return 'current' in files && typeof files.current === 'function' ? files.current(resolution) : (files as Record<Resolution, string>)[resolution];
}

const ACTIVE_FILE = 'active.json';

/**
 * The model versions in a models folder: the bundle's `model.pt` / `model_lowres.pt`, fine-tuned versions under
 * `versions/`, and `active.json` naming the version in service per resolution. Publishing converts the new
 * version to ONNX first, then switches `active.json` atomically: a request that already picked its weights file
 * finishes on the old version, the next one gets the new; earlier versions stay on disk.
 */
export class ModelVersions implements ModelFileSource {
  private active: Partial<Record<Resolution, string>>;

  constructor(private readonly modelsDir: string) {
    // Weights and active.json half-written by a killed server are never served, but each can be a model's size.
    for (const dir of [modelsDir, path.join(modelsDir, 'versions')]) removeStaleTempFilesSync(dir);
    this.active = this.readActive();
  }

  current(resolution: Resolution): string {
    const rel = this.active[resolution];
    return rel ? path.join(this.modelsDir, rel) : path.join(this.modelsDir, BUNDLE_MODELS[resolution].fileName);
  }

  /** A fresh path for the next version of `resolution` (the trainer writes there). */
  nextVersionPath(resolution: Resolution): string {
    const stem = BUNDLE_MODELS[resolution].fileName.replace(/\.pt$/, '');
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    fs.mkdirSync(path.join(this.modelsDir, 'versions'), { recursive: true });
    return path.join(this.modelsDir, 'versions', `${stem}.${stamp}.pt`);
  }

  /** Puts the weights at `file` (inside this models folder) into service for `resolution`. */
  async publish(resolution: Resolution, file: string): Promise<void> {
    const rel = path.relative(this.modelsDir, file);
    if (rel.startsWith('..') || path.isAbsolute(rel)) throw new Error(`${file} is outside the models folder ${this.modelsDir}`);
    await ensureOnnxModel(file);
    const next = { ...this.active, [resolution]: rel };
    await writeFileAtomic(path.join(this.modelsDir, ACTIVE_FILE), `${JSON.stringify(next, null, 2)}\n`);
    this.active = next;
  }

  private readActive(): Partial<Record<Resolution, string>> {
    const file = path.join(this.modelsDir, ACTIVE_FILE);
    if (!fs.existsSync(file)) return {};
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      const out: Partial<Record<Resolution, string>> = {};
      for (const r of ['highres', 'lowres'] as const) {
        const v = parsed[r];
        if (typeof v === 'string' && fs.existsSync(path.join(this.modelsDir, v))) out[r] = v;
      }
      return out;
    } catch (e) {
      throw new Error(`${file}: not a valid model version file (${(e as Error).message}); fix or delete it to serve the bundle's weights`);
    }
  }
}
