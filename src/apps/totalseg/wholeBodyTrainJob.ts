import { SPACING_MM } from './bundleRecipe';
import { ApiError } from '../../core/errors';
import type { TaskContext } from '../../core/tasks';
import type { JsonObject, JsonValue } from '../../core/json';
import { plannedTfBackend } from '../../train-bridge/plannedBackend';
import { startTrainWorker } from '../../train-bridge/trainWorkerClient';
import type { TrainJob } from '../../train-bridge/trainJob';
import type { TrainProgress } from '../../train-bridge/trainLoop';
import type { ModelVersions } from './modelVersions';
import { wholeBodyTrainParams } from './trainParams';
import { WHOLE_BODY_DESCRIPTION } from './wholeBodyInferTask';
import type { WholeBodyTrainJob } from './wholeBodyTrainer';

export interface TrainStatsHolder {
  stats: JsonObject;
}

/** Deviations from the bundle's recipe (smaller crops, coarser spacing, a fixed backend): tests and experiments. */
export interface TrainJobOverrides {
  readonly spacingMm?: number;
  readonly backend?: TrainJob['backend'];
  readonly options?: Partial<TrainJob['options']>;
}


/** The trainer's /info line: which TensorFlow.js package will train and the scope `auto` picks with it. */
export function wholeBodyTrainDescription(): string {
  const planned = plannedTfBackend();
  const onGpu = planned.package === '@tensorflow/tfjs-node-gpu' || planned.package === '@tensorflow/tfjs-backend-webgpu';
  const gpuHint = onGpu ? '' : `; install @tensorflow/tfjs-node-gpu for full-network training on a GPU${planned.note ? ` (${planned.note})` : ''}`;
  return `${WHOLE_BODY_DESCRIPTION}. Fine-tuning: TensorFlow.js via ${planned.package}, scope ${planned.scope} by default${gpuHint}`;
}

/**
 * The fine-tuning job behind `POST /train/wholeBody_ct_segmentation`: images with a `final` label, a validation
 * split, training in a worker thread (TensorFlow.js), and the best weights published as a new model version.
 */
export function wholeBodyTrainJob(versions: ModelVersions, stats: TrainStatsHolder, overrides: TrainJobOverrides = {}): WholeBodyTrainJob {
  return async (request: JsonObject, context: TaskContext): Promise<JsonValue | undefined> => {
    const { resolution, maxEpochs, valSplit, lr, scope } = wholeBodyTrainParams(request);

    const pairs = await context.datastore.trainingPairs('final');
    if (pairs.length === 0) throw new ApiError('BAD_REQUEST', 'no image has a final label yet: submit at least one label before training');
    const nVal = pairs.length > 1 ? Math.min(pairs.length - 1, Math.max(1, Math.round(pairs.length * valSplit))) : 0;
    const train = pairs.slice(0, pairs.length - nVal);
    const val = pairs.slice(pairs.length - nVal);
    const weightsPath = versions.current(resolution);
    const outputPath = versions.nextVersionPath(resolution);
    context.log(`training ${resolution} from ${weightsPath}: ${train.length} training, ${val.length || train.length} validation volume(s)${nVal ? '' : ' (the training ones)'}`);

    const started = Date.now();
    const update = (p: TrainProgress) => {
      stats.stats = {
        epoch: p.epoch,
        total_epochs: p.totalEpochs,
        iteration: p.iteration,
        total_iterations: p.totalIterations,
        best_metric: Number.isFinite(p.bestMetric) ? p.bestMetric : 0,
        start_ts: Math.floor(started / 1000),
        total_time: `${Math.round(p.elapsedMs / 1000)} s`,
        train: { loss: p.loss },
        eval: { mean_dice: Number.isFinite(p.metric) ? p.metric : null },
      };
    };
    const worker = startTrainWorker(
      {
        weightsPath, outputPath, train, val, scope,
        spacingMm: overrides.spacingMm ?? SPACING_MM[resolution],
        backend: overrides.backend,
        options: { ...overrides.options, maxEpochs, lr },
      },
      { onLog: (line) => context.log(line), onProgress: update, onStart: (b, s) => (stats.stats = { ...stats.stats, backend: b.backend, scope: s }) },
    );
    const onAbort = () => worker.stop();
    context.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await worker.done;
      if (result.outputPath) {
        await versions.publish(resolution, result.outputPath);
        context.log(`model version ${result.outputPath} is now in service for ${resolution}`);
      }
      return { ...result, backend: result.backend.backend, resolution, published: result.outputPath ?? null };
    } finally {
      context.signal.removeEventListener('abort', onAbort);
    }
  };
}
