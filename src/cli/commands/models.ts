import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { pullBundleModel } from '../../apps/totalseg/pullModels';
import type { Resolution } from '../../apps/totalseg/bundleRecipe';
import { BUNDLE_MODELS, type ModelSource } from '../../apps/totalseg/bundleModels';
import { projectRoot } from '../../util/projectRoot';
import { makeProgressBar } from '../progressBar';
import { UsageError } from '../usageError';

export const modelsUsage = 'wbct models pull [highres|lowres|all] [--models DIR] [--url URL --md5 HEX]   download the bundle weights and convert them';

/**
 * `WBCT_MODEL_MIRROR=<base URL>`: fetch the bundle's files from `<base>/<file name>` (an in-house mirror) instead of
 * NVIDIA's and Hugging Face's servers, checked against the same md5.
 */
export function mirrorSources(resolution: Resolution): ModelSource[] | undefined {
  const mirror = process.env.WBCT_MODEL_MIRROR;
  if (!mirror) return undefined;
  const spec = BUNDLE_MODELS[resolution];
  return [{ url: `${mirror.replace(/\/+$/, '')}/${spec.fileName}`, md5: spec.sources[0].md5 }];
}

export function defaultModelsDir(): string {
  return process.env.WBCT_MODELS_DIR ?? path.join(projectRoot(), 'models');
}

export async function modelsCommand(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { models: { type: 'string' }, url: { type: 'string' }, md5: { type: 'string' } },
  });
  const [verb, which = 'all'] = positionals;
  if (verb !== 'pull' || !['highres', 'lowres', 'all'].includes(which)) throw new UsageError(modelsUsage);
  if (values.url && which === 'all') throw new UsageError('--url names one file: pick highres or lowres');
  const dir = values.models ?? defaultModelsDir();
  const resolutions: Resolution[] = which === 'all' ? ['highres', 'lowres'] : [which as Resolution];
  for (const r of resolutions) {
    const bar = makeProgressBar(`download ${r}`, ' B');
    try {
      const file = await pullBundleModel(dir, r, {
        sources: values.url ? [{ url: values.url, md5: values.md5 }] : mirrorSources(r),
        onProgress: (_f, got, total) => bar.update(got, total ?? got),
        onMessage: (m) => process.stderr.write(`${m}\n`),
      });
      bar.stop();
      process.stderr.write(`${r}: ${file} ready\n`);
    } catch (e) {
      bar.stop();
      throw e;
    }
  }
}
