import type { JsonObject } from './json';
import type { ResourceLimits } from './resourceLimits';
import type { InferProgress, InferResult } from './tasks';

/** Where a run's result label goes when the request asked to store it (`save_label`, batch infer). */
export interface LabelDestination {
  readonly imageId: string;
  readonly tag: string;
  /** The label's info in the datastore (`{model}`); the run's answer params are added when it is stored. */
  readonly info: JsonObject;
}

/** One model run as the server hands it to a backend: ids, paths and options, never voxels. */
export interface InferExecution {
  /** The progress API's job id; also the distributed job's id. */
  readonly jobId: string;
  readonly model: string;
  /** The datastore image, when the input is one (a worker can fetch it by id after a coordinator restart). */
  readonly imageId?: string;
  readonly imagePath: string;
  readonly outputPath: string;
  readonly params: JsonObject;
  readonly limits: ResourceLimits;
  readonly saveLabel?: LabelDestination;
}

export interface InferHooks {
  readonly signal: AbortSignal;
  /** The run left the queue and started (on this machine or on a worker). */
  onStart(): void;
  onProgress(progress: InferProgress): void;
}

/** What a backend answers: the task's result, and whether the backend has already stored the label. */
export interface InferOutcome extends InferResult {
  readonly labelSaved: boolean;
}

/**
 * Runs model runs: in this process, one at a time (`LocalInferBackend`), or as jobs of a distributed queue that
 * workers on other machines take (the coordinator of `wbct serve --queue`).
 */
export interface InferBackend {
  run(execution: InferExecution, hooks: InferHooks): Promise<InferOutcome>;
  /** 0 while running, n for the n-th waiting, null when unknown here. */
  positionOf(jobId: string): number | null;
  /** The running jobs, then the waiting ones in the order they will start. */
  order(): readonly string[];
  /** How many runs may be submitted at once without a refusal (batch infer sizes its pool by it). */
  readonly parallelism: number;
  close(): Promise<void>;
}

/** A worker as the coordinator last heard of it (`GET /workers/`). */
export interface WorkerStatus {
  readonly name: string;
  readonly host: string;
  readonly threads: number;
  readonly engine: string;
  readonly currentJob: string | null;
  readonly jobsDone: number;
  readonly lastSeen: string;
}

/** A file a worker downloads from the coordinator. */
export interface WorkerFile {
  readonly path: string;
  readonly name: string;
}

/**
 * The coordinator's side of the worker endpoints (`/worker/...`, worker credential only): a worker fetches a job's
 * image and weights, reports its health, and hands the result back.
 */
export interface WorkerPortal {
  /** Whether an Authorization header carries the worker credential. */
  authorizes(header: string | undefined): boolean;
  imageFor(jobId: string): Promise<WorkerFile>;
  weightsFor(checksum: string): Promise<WorkerFile>;
  /** The worker's result: the label file (moved away by the portal) and the answer's params. */
  complete(jobId: string, labelTempPath: string, labelFileName: string, params: JsonObject): Promise<void>;
  heartbeat(status: Omit<WorkerStatus, 'lastSeen'>): void;
  workers(): readonly WorkerStatus[];
}
