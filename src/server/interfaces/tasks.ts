import type { JsonObject, JsonValue } from '../json';
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
}

export interface InferRequest {
  /** The input image file (a datastore image, a session image or an uploaded file). */
  readonly imagePath: string;
  /** Where to write the label; its extension is the requested `result_extension`. */
  readonly outputPath: string;
  /** The request params merged over the task's config defaults, plus `model` and `image`. */
  readonly params: JsonObject;
  readonly signal: AbortSignal;
}

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
  /** The weights file served by `GET /model/{name}`, or null when none is on disk. */
  modelPath(): string | null;
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
