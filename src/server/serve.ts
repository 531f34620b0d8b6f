import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WbctServer } from './createServer';

export interface ServeOptions {
  /** Default 127.0.0.1 (MONAI Label's default URL). */
  readonly host?: string;
  /** Default 8000; 0 picks a free port. */
  readonly port?: number;
  /** Stop gracefully on SIGINT/SIGTERM (default true). */
  readonly handleSignals?: boolean;
  /** How long in-flight requests may finish after close() before connections are cut (default 10 s). */
  readonly drainMs?: number;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly http: Server;
  /** Stops accepting, lets requests drain, then shuts the app down. Idempotent. */
  close(): Promise<void>;
}

/** Listens on host:port and wires graceful shutdown. */
export async function serve(server: WbctServer, options: ServeOptions = {}): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const http = await new Promise<Server>((resolve, reject) => {
    const s = server.listen(options.port ?? 8000, host, () => resolve(s));
    s.once('error', reject);
  });
  // Uploads of whole-body CTs over slow links can take minutes; inference answers take minutes on CPU.
  http.requestTimeout = 30 * 60 * 1000;
  http.headersTimeout = 60 * 1000;
  const port = (http.address() as AddressInfo).port;
  const log = server.context.log;
  log.info('server listening', { host, port });

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      log.info('server stopping');
      const drained = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      const timer = setTimeout(() => http.closeAllConnections(), options.drainMs ?? 10_000);
      await server.shutdown();
      await drained;
      clearTimeout(timer);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      log.info('server stopped');
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    log.info('signal received', { signal });
    void close();
  };
  if (options.handleSignals ?? true) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shownHost}:${port}`, port, http, close };
}
