import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { wholeBodySegmenter } from '../../apps/totalseg/segmenter';
import { WholeBodyInferTask } from '../../apps/totalseg/wholeBodyInferTask';
import { SegmentationRunner } from '../../infer/segmentationRunner';
import { engineInfo } from '../../model/engineInfo';
import { InferWorker } from '../../scale/inferWorker';
import { redactedRedisUrl } from '../../scale/redisUrl';
import { projectRoot } from '../../util/projectRoot';
import { UsageError } from '../usageError';
import { ENGINE_OPTIONS, engineFromArgs } from './engineOptions';
import { queueUrlFromArgs, workerTokenFromArgs } from './queueOptions';

export const workerUsage =
  'wbct worker --queue redis://host:port --server http://coordinator:8000 [--token T] [--name N] [--threads N] [--engine auto|onednn|onnxruntime|webgpu] [--cache DIR] [--lock-seconds 30]   run inference jobs of a coordinator (wbct serve --queue)';

export async function workerCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      queue: { type: 'string' },
      server: { type: 'string' },
      token: { type: 'string' },
      name: { type: 'string' },
      threads: { type: 'string' },
      cache: { type: 'string' },
      'lock-seconds': { type: 'string', default: '30' },
      ...ENGINE_OPTIONS,
    },
  });
  const queue = queueUrlFromArgs(values.queue);
  if (queue === undefined || values.server === undefined) throw new UsageError(workerUsage);
  if (!/^https?:\/\/[^/]+/.test(values.server)) throw new UsageError(`--server must be the coordinator's http(s):// URL, got "${values.server}"`);
  const token = workerTokenFromArgs(values.token, '--token');
  const threads = values.threads === undefined ? os.availableParallelism() : Number(values.threads);
  if (!(Number.isInteger(threads) && threads > 0)) throw new UsageError(`--threads must be a positive integer, got "${values.threads}"`);
  const lockSeconds = Number(values['lock-seconds']);
  if (!(Number.isFinite(lockSeconds) && lockSeconds >= 1 && lockSeconds <= 3600)) throw new UsageError(`--lock-seconds must be in [1, 3600], got "${values['lock-seconds']}"`);
  const name = values.name ?? `${os.hostname()}-${process.pid}`;
  if (!/^[A-Za-z0-9_.@-]{1,100}$/.test(name)) throw new UsageError(`--name must be 1-100 letters, digits, "_", ".", "@" or "-", got "${name}"`);
  const engineChoice = engineFromArgs(values.engine);
  const engine = engineInfo(engineChoice);
  const runner = new SegmentationRunner({ threads, engine: engineChoice });
  const segmenter = wholeBodySegmenter(runner);
  const worker = new InferWorker({
    redisUrl: queue,
    server: values.server,
    token,
    name,
    threads,
    engine: engine.description,
    cacheDir: path.resolve(values.cache ?? process.env.WBCT_WORKER_CACHE ?? path.join(projectRoot(), '.worker-cache')),
    lockMs: lockSeconds * 1000,
    // The job's own model version, for either resolution: the coordinator picked the file by the job's params.
    run: ({ weightsPath, ...request }) => new WholeBodyInferTask({ segmenter, modelFiles: { highres: weightsPath, lowres: weightsPath }, engine }).run(request),
    log: (line) => process.stderr.write(`${new Date().toISOString()} ${name}: ${line}\n`),
  });
  await worker.start();
  process.stderr.write(`wbct worker ${name} taking jobs from ${redactedRedisUrl(queue)} for ${values.server} (network on ${engine.description}, ${threads} threads)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  process.stderr.write(`wbct worker ${name}: stopping after the running job\n`);
  await worker.close();
  await segmenter.close();
}
