import type { RequestHandler } from 'express';
import type { ServerLog } from '../serverLog';

/** One structured line per request, written when the response finishes or the client goes away. */
export function requestLogger(log: ServerLog): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      log.info('request', {
        method: req.method,
        url: req.originalUrl,
        status: res.statusCode,
        ms: Math.round(ms * 10) / 10,
        bytes: Number(res.getHeader('content-length') ?? 0),
        completed: res.writableFinished,
      });
    });
    next();
  };
}
