import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SegmentationRunner } from '../../infer/segmentationRunner';
import type { LabelDtype, OutputFormat, SegmentProgress, SegmentRequest, SegmentResult } from '../../infer/segmentTypes';
import { readImage } from '../../io';
import { labelAgreement } from '../../tasks/diceScoring';
import { BUNDLE_CHANNEL_NAMES } from '../../apps/totalseg/bundleLabels';
import { ENGINE_OPTIONS, engineFromArgs, precisionFromArgs } from './engineOptions';
import { wholeBodyRecipe, type Resolution } from '../../apps/totalseg/bundleRecipe';
import { modelPath } from '../../apps/totalseg/pullModels';
import { makeProgressBar } from '../progressBar';
import { UsageError, oneOf } from '../usageError';
import { defaultModelsDir } from './models';
import { outputFileOption } from '../outputFileOption';
import { writeFileAtomic } from '../../util/atomicWrite';

export const segmentUsage =
  'wbct segment <input.nii[.gz]|.nrrd|dicom folder|.zip> -o <output> [--format image|dicom-seg|rtstruct] [--lowres] [--weights file.pt|file.onnx] [--threads N] [--engine auto|onednn|onnxruntime|webgpu] [--precision fp32|bf16] [--compare-exact] [--dtype uint8|float32] [--overlap 0.25] [--statistics stats.json] [--preview preview.png]';

const FORMATS: readonly OutputFormat[] = ['image', 'dicom-seg', 'rtstruct'];

export async function segmentCommand(argv: string[]): Promise<void> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      output: { type: 'string', short: 'o' },
      lowres: { type: 'boolean', default: false },
      weights: { type: 'string' },
      threads: { type: 'string' },
      dtype: { type: 'string', default: 'uint8' },
      overlap: { type: 'string', default: '0.25' },
      format: { type: 'string', default: 'image' },
      precision: { type: 'string', default: 'fp32' },
      'compare-exact': { type: 'boolean', default: false },
      statistics: { type: 'string' },
      preview: { type: 'string' },
      ...ENGINE_OPTIONS,
    },
  });
  const [inputPath, ...extra] = positionals;
  if (inputPath === undefined || extra.length > 0 || !values.output) throw new UsageError(segmentUsage);
  const dtype = values.dtype as LabelDtype;
  if (dtype !== 'uint8' && dtype !== 'float32') throw new UsageError(`--dtype must be uint8 or float32, got "${values.dtype}"`);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) throw new UsageError(`--threads must be a positive integer, got "${values.threads}"`);
  const overlap = Number(values.overlap);
  const outputFormat = oneOf('format', values.format, FORMATS);
  const resolution: Resolution = values.lowres ? 'lowres' : 'highres';
  const weights = values.weights ?? modelPath(defaultModelsDir(), resolution);

  const engine = engineFromArgs(values.engine);
  const precision = precisionFromArgs(values.precision);
  const compare = values['compare-exact'];
  if (compare && precision === 'fp32') throw new UsageError('--compare-exact compares a reduced --precision (bf16) with fp32; give --precision bf16');
  if (compare && outputFormat !== 'image') throw new UsageError('--compare-exact needs --format image');
  const statisticsPath = outputFileOption('statistics', values.statistics);
  const previewPath = outputFileOption('preview', values.preview, '.png');

  const runner = new SegmentationRunner({ threads, engine });
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  const outputPath = path.resolve(values.output);
  const request = { inputPath, recipe: wholeBodyRecipe(resolution), modelPath: weights, outputDtype: dtype, overlap, outputFormat };
  const scratch = compare ? await fs.mkdtemp(path.join(os.tmpdir(), 'wbct-exact-')) : undefined;
  try {
    const extras = { statistics: statisticsPath !== undefined, previewPath };
    const result = await segmentWithBar(runner, { ...request, ...extras, outputPath, precision }, `windows (${precision})`, abort.signal);
    if (statisticsPath !== undefined) {
      const statistics = result.statistics ?? {};
      await writeFileAtomic(statisticsPath, `${JSON.stringify(statistics, null, 2)}\n`);
      process.stderr.write(`statistics of ${Object.keys(statistics).length} structures -> ${statisticsPath}\n`);
    }
    if (previewPath !== undefined) process.stderr.write(`preview -> ${previewPath}\n`);
    if (scratch) {
      const exactPath = path.join(scratch, `exact${path.extname(outputPath) === '.nrrd' ? '.nrrd' : '.nii.gz'}`);
      const exact = await segmentWithBar(runner, { ...request, outputPath: exactPath, precision: 'fp32' }, 'windows (fp32, exact)', abort.signal);
      const [ours, reference] = await Promise.all([readImage(outputPath), readImage(exactPath)]);
      const a = labelAgreement(reference.volume.data, ours.volume.data, { ...BUNDLE_CHANNEL_NAMES });
      const worst = a.worst.slice(0, 5).map((w) => `${w.label} ${w.dice.toFixed(3)}`).join(', ');
      process.stderr.write(
        `agreement of ${precision} with exact fp32: ${(a.voxelAgreement * 100).toFixed(3)}% of voxels equal; mean Dice ${a.dice.mean.toFixed(4)} over ` +
          `${Object.keys(a.dice.labels).length} structures; lowest: ${worst || 'none'}\n` +
          `network ${result.modelSeconds.toFixed(1)} s (${result.engine}) vs ${exact.modelSeconds.toFixed(1)} s (${exact.engine}): ${(exact.modelSeconds / result.modelSeconds).toFixed(2)}x\n`,
      );
    }
  } finally {
    process.off('SIGINT', onSignal);
    await runner.close();
    if (scratch) await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** One run with a progress bar of windows, then its latencies, engine and peak RSS on stderr. */
async function segmentWithBar(runner: SegmentationRunner, request: SegmentRequest, what: string, signal: AbortSignal): Promise<SegmentResult> {
  const bar = makeProgressBar(what);
  try {
    const result = await runner.segment(
      request,
      (p: SegmentProgress) => {
        if (p.stage === 'infer') bar.update(p.done, p.total);
      },
      signal,
    );
    bar.stop();
    const l = result.latencies;
    const s = (x: number) => `${x.toFixed(2)}s`;
    process.stderr.write(
      `network on ${result.engine}: ${result.modelSeconds.toFixed(2)}s\n` +
        `latencies: pre ${s(l.pre)}, infer ${s(l.infer)}, invert ${s(l.invert)}, post ${s(l.post)}, write ${s(l.write)}, total ${s(l.total)}\n` +
        `label map ${result.shape.join('x')} -> ${result.outputPath}; ${result.labelCounts.filter((n, i) => i > 0 && n > 0).length} structures; ` +
        `peak RSS ${(Math.max(result.peakRssBytes, process.memoryUsage().rss) / 2 ** 30).toFixed(2)} GiB\n`,
    );
    return result;
  } finally {
    bar.stop();
  }
}
