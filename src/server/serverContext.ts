import type { AuthService } from './auth/authService';
import type { App } from '../core/app';
import type { VolumeReader } from '../core/volumeReader';
import type { SessionStore } from './sessions/sessionStore';
import type { ServerLog } from './serverLog';
import type { InferBackend, WorkerPortal } from '../core/inferBackend';
import type { InferJobs } from './tasks/inferJobs';
import type { TaskRunner } from './tasks/taskRunner';
import type { UploadLimits } from './http/multipartUpload';
import type { ResourceLimits } from '../core/resourceLimits';
import type { ClientRequestCounter } from './tasks/clientRequestCounter';

/** What every route factory receives: the app plus the server's own machinery. */
export interface ServerContext {
  readonly app: App;
  readonly log: ServerLog;
  readonly auth: AuthService;
  /** Runs the model runs: in this process, or through a distributed queue's workers. */
  readonly inferBackend: InferBackend;
  /** The worker endpoints' side of a distributed queue; absent when runs are local. */
  readonly workerPortal?: WorkerPortal;
  /** Every inference queued, running or recently finished, for the progress API. */
  readonly inferJobs: InferJobs;
  readonly trainRunner: TaskRunner;
  readonly batchInferRunner: TaskRunner;
  readonly scoringRunner: TaskRunner;
  /** null when sessions are switched off (406). */
  readonly sessions: SessionStore | null;
  readonly uploads: UploadLimits;
  /** Every resource limit (the ones above included), for checks before expensive steps. */
  readonly limits: ResourceLimits;
  /** Infer requests queued or running per client, capped at `limits.maxRequestsPerClient`. */
  readonly clientRequests: ClientRequestCounter;
  /** Scratch folder for infer inputs and results. */
  readonly workDir: string;
  /** Checks that an image uploaded with an infer request is readable before it is queued. */
  readonly readVolume: VolumeReader;
}
