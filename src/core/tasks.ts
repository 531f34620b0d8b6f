import type { JsonObject, JsonValue } from './json';
import type { ResourceLimits } from './resourceLimits';
import type { Datastore } from './datastore';

export type InferType = 'segmentation' | 'deepgrow' | 'deepedit' | 'scribbles' | 'detection' | 'classification' | 'annotation' | 'others';

/** One entry of `/info/`'s `models`. Slicer indexes `type` and `description` directly, so both are required. */
export interface InferTaskInfo {
  readonly type: InferType;
  readonly labels: Readonly<Record<string, number>> | readonly string[];
  readonly dimension: 2 | 3;
  readonly description: string;
  /** Drives Slicer's options table: a list is a combo (first item sent), a bool a checkbox, anything else a text field. */
  readonly config: JsonObject;
  readonly version?: string;
  /** What runs the model, e.g. "onednn 2.6.3 (avx512_core_amx)"; an addition to MONAI Label's info, ignored by Slicer. */
  readonly engine?: string;
}

export interface InferRequest {
  /** The input image file (a datastore image, a session image or an uploaded file). */
  readonly imagePath: string;
  /** Where to write the label; its extension is the requested `result_extension`. */
  readonly outputPath: string;
  /** The request params merged over the task's config defaults, plus `model` and `image`. */
  readonly params: JsonObject;
  readonly signal: AbortSignal;
  /** The server's resource limits; the task enforces the ones its pipeline reads and resamples against. */
  readonly limits: ResourceLimits;
  /** Called as the run moves on (stage, windows done / total), for the progress API; absent when nobody listens. */
  readonly onProgress?: (progress: InferProgress) => void;
}

/** Where one inference is: its stage (e.g. "load", "infer", "write") and, within the stage, steps done of total. */
export interface InferProgress {
  readonly stage: string;
  readonly done: number;
  readonly total: number;
}

/** What `InferTask.admit` sees: the request before it is queued. */
export type InferAdmission = Pick<InferRequest, 'imagePath' | 'params' | 'limits'> & {
  /** How to name the image in an error (never the server's path). */
  readonly imageName: string;
};

export interface InferResult {
  /** The written label file (normally `request.outputPath`). */
  readonly labelPath: string;
  /** The `params` part of the answer: `label_names`, `latencies`, ... */
  readonly params: JsonObject;
}

/** A model the server can run (MONAI Label's `InferTask`). */
export interface InferTask {
  info(): InferTaskInfo;
  run(request: InferRequest): Promise<InferResult>;
  /**
   * Refuses cheaply (bad params, an image whose header exceeds the limits for this model's recipe) before the
   * request takes a place in the queue; throws an ApiError or a LimitExceededError.
   */
  admit?(request: InferAdmission): Promise<void>;
  /** The weights file served by `GET /model/{name}`, or null when none is on disk. */
  modelPath(): string | null;
  /** The weights file a run with these params would use (workers of a distributed queue fetch it by checksum). */
  weightsFile?(params: JsonObject): string;
}

/** What a long-running job (train, batch infer, scoring) gets: a cancel signal and a log of progress lines. */
export interface TaskContext {
  readonly signal: AbortSignal;
  log(line: string): void;
  readonly datastore: Datastore;
}

export interface TrainTaskInfo {
  readonly description: string;
  readonly config: JsonObject;
  readonly version?: string;
}

/** A trainer (MONAI Label's `TrainTask`): `run` resolves with the task's `result`, rejects to mark it ERROR. */
export interface TrainTask {
  info(): TrainTaskInfo;
  /** `/info/`'s `train_stats[name]`: `{}` before any run; Slicer reads `epoch`, `total_epochs`, `total_time`, `best_metric`. */
  stats(): JsonObject;
  run(request: JsonObject, context: TaskContext): Promise<JsonValue | undefined>;
  /** Throws an ApiError (422) for a request `run` would refuse, before the task is accepted. */
  check?(request: JsonObject): void;
}

export interface DescribedInfo {
  readonly description: string;
}

/** Picks the next image to annotate, or null when none is left (MONAI Label's `Strategy`). */
export interface Strategy {
  info(): DescribedInfo;
  run(request: JsonObject, datastore: Datastore): Promise<string | null>;
}

/** Scores the datastore, e.g. agreement of `original` and `final` labels (MONAI Label's `ScoringMethod`). */
export interface ScoringMethod {
  info(): DescribedInfo;
  run(request: JsonObject, context: TaskContext): Promise<JsonValue>;
}
