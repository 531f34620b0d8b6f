import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import express, { type Express } from 'express';
import type { AuthConfig } from './auth/authConfig';
import { AuthService } from './auth/authService';
import { errorMiddleware, notFoundHandler } from './http/errorMiddleware';
import { requestLogger } from './http/requestLogger';
import type { App } from './interfaces/app';
import type { VolumeReader } from './interfaces/volumeReader';
import { activeLearningRoutes } from './routes/activeLearningRoutes';
import { authRoutes } from './routes/authRoutes';
import { batchInferRoutes } from './routes/batchInferRoutes';
import { datastoreRoutes } from './routes/datastoreRoutes';
import { inferRoutes } from './routes/inferRoutes';
import { infoRoutes } from './routes/infoRoutes';
import { logRoutes } from './routes/logRoutes';
import { modelRoutes } from './routes/modelRoutes';
import { scoringRoutes } from './routes/scoringRoutes';
import { sessionRoutes } from './routes/sessionRoutes';
import { trainRoutes } from './routes/trainRoutes';
import type { ServerContext } from './serverContext';
import { ServerLog } from './serverLog';
import { SessionStore } from './sessions/sessionStore';
import { InferQueue } from './tasks/inferQueue';
import { TaskRunner } from './tasks/taskRunner';

export interface ServerOptions {
  /** Reads images and labels (format by extension); used to vet uploads sent with infer and sessions. */
  readonly readVolume: VolumeReader;
  readonly log?: ServerLog;
  /** Scratch folder for uploads and infer results (default: a fresh folder under the OS temp dir, removed on shutdown). */
  readonly workDir?: string;
  /** Largest accepted uploaded file (default 4 GiB). */
  readonly maxUploadBytes?: number;
  /** Infer requests allowed to wait behind the running one (default 4); more answer 429. */
  readonly maxQueuedInfers?: number;
  /** Sessions folder and default expiry, or false to switch sessions off (406). Default: `<workDir>/sessions`. */
  readonly sessions?: false | { readonly dir: string; readonly defaultExpiry?: number };
  /** Users and token secret (`loadAuthConfig`); absent or null = auth off, everyone is admin. */
  readonly auth?: AuthConfig | null;
}

/** The Express app, plus what the server holds beyond it. */
export type WbctServer = Express & {
  readonly context: ServerContext;
  /** Refuses new inference, stops tasks, closes the app (model workers) and removes scratch files. Idempotent. */
  shutdown(): Promise<void>;
};

/** Builds the MONAI Label REST server for `app`. The protocol layer knows only the App/task interfaces. */
export function createServer(app: App, options: ServerOptions): WbctServer {
  const ownWorkDir = options.workDir === undefined;
  const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-server-'));
  fs.mkdirSync(workDir, { recursive: true });
  const log = options.log ?? new ServerLog();
  const sessions =
    options.sessions === false ? null : new SessionStore({ dir: options.sessions?.dir ?? path.join(workDir, 'sessions'), readVolume: options.readVolume, defaultExpiry: options.sessions?.defaultExpiry });
  const context: ServerContext = {
    app,
    log,
    auth: new AuthService(options.auth ?? null),
    inferQueue: new InferQueue({ maxWaiting: options.maxQueuedInfers ?? 4 }),
    trainRunner: new TaskRunner({ kind: 'Train', log }),
    batchInferRunner: new TaskRunner({ kind: 'Batch Infer', log }),
    scoringRunner: new TaskRunner({ kind: 'Scoring', log }),
    sessions,
    uploads: { dir: path.join(workDir, 'uploads'), maxFileBytes: options.maxUploadBytes ?? 4 * 1024 ** 3 },
    workDir,
    readVolume: options.readVolume,
  };

  const server = express();
  server.set('query parser', 'simple');
  server.disable('x-powered-by');
  server.use(requestLogger(log));
  for (const routes of [infoRoutes, activeLearningRoutes, datastoreRoutes, inferRoutes, trainRoutes, sessionRoutes, scoringRoutes, batchInferRoutes, modelRoutes, logRoutes]) {
    server.use(routes(context));
  }
  if (context.auth.enabled) server.use(authRoutes(context));
  server.use(notFoundHandler);
  server.use(errorMiddleware(log));

  const sweep = setInterval(() => void sessions?.sweep().catch((e) => log.warn('session sweep failed', { error: String(e) })), 10 * 60 * 1000);
  sweep.unref();
  let closing: Promise<void> | null = null;
  const shutdown = (): Promise<void> =>
    (closing ??= (async () => {
      clearInterval(sweep);
      await Promise.all([context.inferQueue.close(), context.trainRunner.close(), context.batchInferRunner.close(), context.scoringRunner.close()]);
      await app.close();
      if (ownWorkDir) await fs.promises.rm(workDir, { recursive: true, force: true });
    })());
  return Object.assign(server, { context, shutdown });
}
