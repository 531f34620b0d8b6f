import type { TaskContext, TrainTask, TrainTaskInfo } from '../../core/tasks';
import type { JsonObject, JsonValue } from '../../core/json';
import { WHOLE_BODY_TRAIN_CONFIG, wholeBodyTrainParams } from './trainParams';
import { WHOLE_BODY_DESCRIPTION, WHOLE_BODY_VERSION } from './wholeBodyInferTask';

/**
 * The fine-tuning work itself, supplied by the training module: it gets the merged request (`model`, the config
 * values Slicer sends, `client_id`), a cancel signal and a log whose lines become the task's `details`.
 */
export type WholeBodyTrainJob = (request: JsonObject, context: TaskContext) => Promise<JsonValue | undefined>;

export interface WholeBodyTrainerOptions {
  readonly job: WholeBodyTrainJob;
  /** The trainer's line in /info (default: the model's description). */
  readonly description?: string;
  /** `train_stats` for `/info/`: Slicer reads `epoch`, `total_epochs`, `total_time`, `best_metric`. */
  readonly stats?: () => JsonObject;
}

/** The trainer entry of the whole-body model; the request's config defaults are filled in before the job runs. */
export class WholeBodyTrainer implements TrainTask {
  constructor(private readonly options: WholeBodyTrainerOptions) {}

  info(): TrainTaskInfo {
    return { description: this.options.description ?? WHOLE_BODY_DESCRIPTION, config: this.config(), version: WHOLE_BODY_VERSION };
  }

  stats(): JsonObject {
    return this.options.stats?.() ?? {};
  }

  check(request: JsonObject): void {
    wholeBodyTrainParams(this.withDefaults(request));
  }

  run(request: JsonObject, context: TaskContext): Promise<JsonValue | undefined> {
    return this.options.job(this.withDefaults(request), context);
  }

  private withDefaults(request: JsonObject): JsonObject {
    const defaults = Object.fromEntries(Object.entries(this.config()).map(([k, v]) => [k, Array.isArray(v) ? (v[0] ?? null) : v]));
    return { ...defaults, ...request };
  }

  private config(): JsonObject {
    return WHOLE_BODY_TRAIN_CONFIG;
  }
}
