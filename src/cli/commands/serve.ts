import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createTotalSegApp } from '../../apps/totalseg/createTotalSegApp';
import { wholeBodySegmenter } from '../../apps/totalseg/segmenter';
import { modelPath, pullBundleModel } from '../../apps/totalseg/pullModels';
import { ModelVersions } from '../../apps/totalseg/modelVersions';
import { TrainStatsHolder, wholeBodyTrainDescription, wholeBodyTrainJob } from '../../apps/totalseg/wholeBodyTrainJob';
import { readImage } from '../../io';
import { SegmentationRunner } from '../../infer/segmentationRunner';
import { loadAuthConfig } from '../../server/auth/authConfig';
import { createServer } from '../../server/createServer';
import { serve } from '../../server/serve';
import { uiAssetsPresent } from '../../server/routes/uiRoutes';
import { webAssets } from '../webAssets';
import { Coordinator } from '../../scale/coordinator';
import { redactedRedisUrl } from '../../scale/redisUrl';
import { QUEUE_OPTIONS, queueUrlFromArgs, workerTokenFromArgs } from './queueOptions';
import { projectRoot } from '../../util/projectRoot';
import { makeProgressBar } from '../progressBar';
import { UsageError } from '../usageError';
import { defaultModelsDir, mirrorSources } from './models';
import { dicomWebServeOptions, studiesFromArgs } from './serveStudies';
import { LIMIT_OPTIONS, limitsFromArgs } from './limitOptions';
import { ENGINE_OPTIONS, engineFromArgs } from './engineOptions';
import { engineInfo } from '../../model/engineInfo';

export const serveUsage =
  'wbct serve [--studies DIR|http://host:port/dicom-web [--dicomweb-user U --dicomweb-password P | --dicomweb-token T] [--cache DIR]] [--port 8000] [--host 127.0.0.1] [--models DIR] [--threads N] [--engine auto|onednn|onnxruntime|webgpu] [--webgpu] [--auth users.json] [--no-pull] [--queue redis://host:port --worker-token T [--attempts 3]] [limits: --max-upload-mb N --max-decompressed-mb N --max-input-voxels N --max-extent-mm N --max-resampled-voxels N --max-upsampling N --max-queued-infers N --max-requests-per-client N]   MONAI Label server';

/** The folder `npm start` serves when no --studies is given: created on first start. */
export function defaultStudiesDir(): string {
  return process.env.WBCT_STUDIES_DIR ?? path.join(projectRoot(), 'datastore');
}

export async function serveCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      studies: { type: 'string' },
      port: { type: 'string', default: process.env.PORT ?? '8000' },
      host: { type: 'string', default: '127.0.0.1' },
      models: { type: 'string' },
      threads: { type: 'string' },
      auth: { type: 'string' },
      'no-pull': { type: 'boolean', default: false },
      ...dicomWebServeOptions,
      ...LIMIT_OPTIONS,
      ...ENGINE_OPTIONS,
      ...QUEUE_OPTIONS,
      attempts: { type: 'string', default: '3' },
      webgpu: { type: 'boolean', default: false },
    },
  });
  const limits = limitsFromArgs(values);
  const queueUrl = queueUrlFromArgs(values.queue);
  const workerToken = queueUrl === undefined ? undefined : workerTokenFromArgs(values['worker-token'], '--worker-token');
  const attempts = Number(values.attempts);
  if (!(Number.isInteger(attempts) && attempts >= 1 && attempts <= 20)) throw new UsageError(`--attempts must be an integer in [1, 20], got "${values.attempts}"`);
  const engineChoice = engineFromArgs(values.engine);
  const engine = engineInfo(engineChoice, { webgpu: values.webgpu });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0..65535, got "${values.port}"`);
  const threads = values.threads === undefined ? undefined : Number(values.threads);
  if (threads !== undefined && !(Number.isInteger(threads) && threads > 0)) throw new UsageError(`--threads must be a positive integer, got "${values.threads}"`);
  const readVolume = async (file: string) => (await readImage(file, { voxels: 'stored', limits })).volume;
  const { studies, where } = await studiesFromArgs({ ...values, studies: values.studies ?? defaultStudiesDir() }, readVolume);
  const modelsDir = path.resolve(values.models ?? defaultModelsDir());

  for (const r of ['highres', 'lowres'] as const) {
    const file = modelPath(modelsDir, r);
    if (fs.existsSync(file) || values['no-pull']) continue;
    process.stderr.write(`${path.basename(file)} is missing in ${modelsDir}; fetching it (wbct models pull ${r})\n`);
    const bar = makeProgressBar(`download ${r}`, ' B');
    try {
      await pullBundleModel(modelsDir, r, { sources: mirrorSources(r), onProgress: (_f, got, total) => bar.update(got, total ?? got) });
    } catch (e) {
      // Offline first start: the datastore, the page and labelling still work; /info says what is missing, /infer answers 503.
      bar.stop();
      process.stderr.write(`warning: serving without the ${r} model: ${e instanceof Error ? e.message : String(e)}\n`);
    } finally {
      bar.stop();
    }
  }

  const versions = new ModelVersions(modelsDir);
  const trainStats: TrainStatsHolder = { stats: {} };
  const runner = new SegmentationRunner({ threads, engine: engineChoice });
  const app = await createTotalSegApp({
    ...studies,
    modelFiles: versions,
    trainer: { job: wholeBodyTrainJob(versions, trainStats), description: wholeBodyTrainDescription(), stats: () => trainStats.stats },
    segmenter: wholeBodySegmenter(runner),
    readVolume,
    onWarning: (m) => process.stderr.write(`warning: ${m}\n`),
    engine,
  });
  const ui = webAssets();
  const page = ui !== null && uiAssetsPresent(ui);
  const coordinator = queueUrl && workerToken ? new Coordinator(app, { redisUrl: queueUrl, workerToken, attempts, maxWaiting: Math.max(limits.maxQueuedInfers, 256), log: (m, f) => process.stderr.write(`${m} ${JSON.stringify(f ?? {})}\n`) }) : undefined;
  const server = createServer(app, {
    readVolume,
    auth: values.auth ? loadAuthConfig(values.auth) : null,
    limits,
    ui: page ? ui : undefined,
    distributed: coordinator && { backend: coordinator, portal: coordinator },
  });
  if (coordinator) {
    const ready = await Promise.race([coordinator.ready().then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref())]);
    if (!ready) process.stderr.write(`warning: the queue at ${redactedRedisUrl(queueUrl as string)} does not answer yet; inference answers 503 until it does\n`);
  }
  const running = await serve(server, { host: values.host, port });
  process.stderr.write(
    `wbct serving ${where} at ${running.url} (models in ${modelsDir}; network on ${engine.description}, precisions ${engine.precisions.join(', ')}${engine.note ? `; ${engine.note}` : ''})\n` +
      (page ? `web page: ${running.url}/\n` : 'web page not served: its files are not built (npm run build) or @niivue/niivue is not installed\n') +
      (values.webgpu ? `webgpu: ${engine.devices.includes('webgpu') ? 'offered as the device option webgpu (onnxruntime WebGPU provider)' : (engine.webgpuNote ?? 'unavailable')}\n` : '') +
      (queueUrl ? `coordinator: inference runs on wbct workers through ${redactedRedisUrl(queueUrl)} (${attempts} attempts per job)\n` : ''),
  );
  await new Promise<void>((resolve) => running.http.once('close', () => resolve()));
}
