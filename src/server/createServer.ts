import * as path from 'node:path';
import express, { type Express } from 'express';
import type { AuthConfig } from './auth/authConfig';
import { AuthService } from './auth/authService';
import { errorMiddleware, notFoundHandler } from './http/errorMiddleware';
import { requestLogger } from './http/requestLogger';
import type { App } from '../core/app';
import type { VolumeReader } from '../core/volumeReader';
import { activeLearningRoutes } from './routes/activeLearningRoutes';
import { authRoutes } from './routes/authRoutes';
import { batchInferRoutes } from './routes/batchInferRoutes';
import { datastoreRoutes } from './routes/datastoreRoutes';
import { inferRoutes } from './routes/inferRoutes';
import { inferJobRoutes } from './routes/inferJobRoutes';
import { infoRoutes } from './routes/infoRoutes';
import { logRoutes } from './routes/logRoutes';
import { modelRoutes } from './routes/modelRoutes';
import { scoringRoutes } from './routes/scoringRoutes';
import { sessionRoutes } from './routes/sessionRoutes';
import { trainRoutes } from './routes/trainRoutes';
import { uiRoutes, type UiAssets } from './routes/uiRoutes';
import { workerRoutes } from './routes/workerRoutes';
import { openScratchDir } from './scratchDir';
import type { ServerContext } from './serverContext';
import { DEFAULT_LIMITS, type ResourceLimits } from '../core/resourceLimits';
import { ClientRequestCounter } from './tasks/clientRequestCounter';
import { ServerLog } from './serverLog';
import { SessionStore } from './sessions/sessionStore';
import { LocalInferBackend } from './tasks/localInferBackend';
import type { InferBackend, WorkerPortal } from '../core/inferBackend';
import { InferJobs } from './tasks/inferJobs';
import { TaskRunner } from './tasks/taskRunner';

export interface ServerOptions {
  /** Reads images and labels (format by extension); used to vet uploads sent with infer and sessions. */
  readonly readVolume: VolumeReader;
  readonly log?: ServerLog;
  /**
   * Scratch folder for uploads and infer results, emptied of a previous run's leftovers at start (default: a fresh
   * folder under the OS temp dir, removed on shutdown; those of servers that died are removed at start-up).
   */
  readonly workDir?: string;
  /** Resource limits over DEFAULT_LIMITS (upload bytes, queue length, per-client requests, image sizes). */
  readonly limits?: Partial<ResourceLimits>;
  /** Sessions folder and default expiry, or false to switch sessions off (406). Default: `<workDir>/sessions`. */
  readonly sessions?: false | { readonly dir: string; readonly defaultExpiry?: number };
  /** Users and token secret (`loadAuthConfig`); absent or null = auth off, everyone is admin. */
  readonly auth?: AuthConfig | null;
  /** The web page's files, served at `/` and `/ui/`; absent = no page. */
  readonly ui?: UiAssets;
  /** Model runs through a distributed queue (`wbct serve --queue`): its backend and worker endpoints. Default: in this process. */
  readonly distributed?: { readonly backend: InferBackend; readonly portal: WorkerPortal };
}

/** The Express app, plus what the server holds beyond it. */
export type WbctServer = Express & {
  readonly context: ServerContext;
  /** Refuses new inference, stops tasks, closes the app (model workers) and removes scratch files. Idempotent. */
  shutdown(): Promise<void>;
};

/** Builds the MONAI Label REST server for `app`. The protocol layer knows only the App/task interfaces. */
export function createServer(app: App, options: ServerOptions): WbctServer {
  const scratch = openScratchDir({ workDir: options.workDir });
  const workDir = scratch.path;
  const log = options.log ?? new ServerLog();
  if (scratch.removed.length > 0) log.info('removed what earlier runs left in scratch folders', { paths: [...scratch.removed] });
  const sessions =
    options.sessions === false ? null : new SessionStore({ dir: options.sessions?.dir ?? path.join(workDir, 'sessions'), readVolume: options.readVolume, defaultExpiry: options.sessions?.defaultExpiry });
  const limits: ResourceLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const inferBackend = options.distributed?.backend ?? new LocalInferBackend(app, { maxWaiting: limits.maxQueuedInfers });
  const context: ServerContext = {
    app,
    log,
    auth: new AuthService(options.auth ?? null),
    inferBackend,
    workerPortal: options.distributed?.portal,
    inferJobs: new InferJobs({ queue: inferBackend }),
    clientRequests: new ClientRequestCounter(limits.maxRequestsPerClient),
    trainRunner: new TaskRunner({ kind: 'Train', log }),
    batchInferRunner: new TaskRunner({ kind: 'Batch Infer', log }),
    scoringRunner: new TaskRunner({ kind: 'Scoring', log }),
    sessions,
    uploads: { dir: path.join(workDir, 'uploads'), maxFileBytes: limits.maxUploadBytes },
    limits,
    workDir,
    readVolume: options.readVolume,
  };

  const server = express();
  server.set('query parser', 'simple');
  server.disable('x-powered-by');
  server.use(requestLogger(log));
  for (const routes of [infoRoutes, activeLearningRoutes, datastoreRoutes, inferJobRoutes, inferRoutes, trainRoutes, sessionRoutes, scoringRoutes, batchInferRoutes, modelRoutes, logRoutes, workerRoutes]) {
    server.use(routes(context));
  }
  if (context.auth.enabled) server.use(authRoutes(context));
  if (options.ui) server.use(uiRoutes(context, options.ui));
  server.use(notFoundHandler);
  server.use(errorMiddleware(log));

  const sweep = setInterval(() => void sessions?.sweep().catch((e) => log.warn('session sweep failed', { error: String(e) })), 10 * 60 * 1000);
  sweep.unref();
  let closing: Promise<void> | null = null;
  const shutdown = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(sweep);
      await Promise.all([context.inferBackend.close(), context.trainRunner.close(), context.batchInferRunner.close(), context.scoringRunner.close()]);
      await app.close();
      await scratch.release();
    })());
  return Object.assign(server, { context, shutdown });
}
