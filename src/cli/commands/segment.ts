import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { SegmentationRunner } from '../../infer/segmentationRunner';
import { LabelDtype, OutputFormat, SegmentProgress } from '../../infer/segmentTypes';
import { wholeBodyRecipe, type Resolution } from '../../apps/totalseg/bundleRecipe';
import { modelPath } from '../../apps/totalseg/pullModels';
import { makeProgressBar } from '../progressBar';
import { UsageError } from '../usageError';
import { defaultModelsDir } from './models';

export const segmentUsage =
  'wbct segment <input.nii[.gz]|.nrrd|dicom folder|.zip> -o <output> [--format image|dicom-seg|rtstruct] [--lowres] [--weights file.pt|file.onnx] [--threads N] [--dtype uint8|float32] [--overlap 0.25]';

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
    },
  });
  const [inputPath, ...extra] = positionals;
  if (inputPath === undefined || extra.length > 0 || !values.output) throw new UsageError(segmentUsage);
  const dtype = values.dtype as LabelDtype;
  if (dtype !== 'uint8' && dtype !== 'float32') throw new UsageError(`--dtype must be uint8 or float32, got "${values.dtype}"`);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) throw new UsageError(`--threads must be a positive integer, got "${values.threads}"`);
  const overlap = Number(values.overlap);
  const outputFormat = values.format as OutputFormat;
  if (!FORMATS.includes(outputFormat)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got "${values.format}"`);
  const resolution: Resolution = values.lowres ? 'lowres' : 'highres';
  const weights = values.weights ?? modelPath(defaultModelsDir(), resolution);

  const runner = new SegmentationRunner({ threads });
  const bar = makeProgressBar('windows');
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  try {
    const result = await runner.segment(
      { inputPath, outputPath: path.resolve(values.output), recipe: wholeBodyRecipe(resolution), modelPath: weights, outputDtype: dtype, overlap, outputFormat },
      (p: SegmentProgress) => {
        if (p.stage === 'infer') bar.update(p.done, p.total);
      },
      abort.signal,
    );
    bar.stop();
    const l = result.latencies;
    const s = (x: number) => `${x.toFixed(2)}s`;
    process.stderr.write(
      `latencies: pre ${s(l.pre)}, infer ${s(l.infer)}, invert ${s(l.invert)}, post ${s(l.post)}, write ${s(l.write)}, total ${s(l.total)}\n` +
        `label map ${result.shape.join('x')} -> ${result.outputPath}; ${result.labelCounts.filter((n, i) => i > 0 && n > 0).length} structures; ` +
        `peak RSS ${(Math.max(result.peakRssBytes, process.memoryUsage().rss) / 2 ** 30).toFixed(2)} GiB\n`,
    );
  } finally {
    bar.stop();
    process.off('SIGINT', onSignal);
    await runner.close();
  }
}
