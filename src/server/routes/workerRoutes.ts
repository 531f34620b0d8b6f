import * as path from 'node:path';
import { Router, type RequestHandler } from 'express';
import { ApiError } from '../../core/errors';
import type { WorkerPortal } from '../../core/inferBackend';
import { requireRole, userHasRole } from '../auth/requireRole';
import { sendAttachment } from '../http/fileDownload';
import { bodyObject, jsonBody } from '../http/jsonBody';
import { multipartUpload, paramsField, requiredFileField } from '../http/multipartUpload';
import type { ServerContext } from '../serverContext';

/** Only the worker credential opens `/worker/...`; a user's token (or none) is refused, and it opens nothing else. */
function requireWorker(portal: WorkerPortal): RequestHandler {
  return (req, res, next) => {
    if (!portal.authorizes(req.headers.authorization)) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      next(new ApiError('NOT_A_WORKER', 'this endpoint is for wbct workers: present the worker credential (wbct worker --token)'));
      return;
    }
    next();
  };
}

/** Workers beat every 5 s; one silent for this long has died or lost the network. */
const LOST_AFTER_MS = 20_000;

const LABEL_NAME = /^[A-Za-z0-9_.-]{1,100}\.(nrrd|nii|nii\.gz)$/;

function heartbeatOf(body: ReturnType<typeof bodyObject>) {
  const text = (key: string, max = 200) => {
    const v = body[key];
    if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new ApiError('INVALID_PARAM', `heartbeat "${key}" must be a string of 1 to ${max} characters`);
    return v;
  };
  const count = (key: string) => {
    const v = body[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ApiError('INVALID_PARAM', `heartbeat "${key}" must be a non-negative integer`);
    return v;
  };
  const job = body.current_job;
  if (job !== null && typeof job !== 'string') throw new ApiError('INVALID_PARAM', 'heartbeat "current_job" must be a job id or null');
  return { name: text('name', 100), host: text('host'), threads: count('threads'), engine: text('engine'), currentJob: job, jobsDone: count('jobs_done') };
}

/**
 * The coordinator's endpoints for `wbct worker` (`wbct serve --queue` only): a job's image, a model version's weights
 * by checksum, the result, and heartbeats; and `GET /workers/` for people.
 */
export function workerRoutes(ctx: ServerContext): Router {
  const router = Router();
  const portal = ctx.workerPortal;
  router.get('/workers/', requireRole(ctx.auth, 'user'), (req, res) => {
    if (!portal) throw new ApiError('NOT_FOUND', 'this server runs inference itself (started without --queue): it has no workers');
    // Job ids belong to their users: only an admin sees which job a worker runs.
    const admin = userHasRole(req, 'admin');
    res.json(
      portal.workers().map((w) => ({
        name: w.name,
        host: w.host,
        threads: w.threads,
        engine: w.engine,
        state: Date.now() - Date.parse(w.lastSeen) > LOST_AFTER_MS ? 'lost' : w.currentJob === null ? 'idle' : 'busy',
        current_job: admin ? w.currentJob : null,
        jobs_done: w.jobsDone,
        last_seen: w.lastSeen,
      })),
    );
  });
  if (!portal) return router;
  const worker = requireWorker(portal);
  router.get('/worker/jobs/:id/image', worker, async (req, res) => {
    const file = await portal.imageFor(req.params.id as string);
    await sendAttachment(res, file.path, file.name);
  });
  router.get('/worker/weights/:checksum', worker, async (req, res) => {
    const checksum = req.params.checksum as string;
    if (!/^[0-9a-f]{64}$/.test(checksum)) throw new ApiError('BAD_REQUEST', 'a weights checksum is 64 hex digits (SHA-256)');
    const file = await portal.weightsFor(checksum);
    await sendAttachment(res, file.path, file.name);
  });
  router.put('/worker/jobs/:id/result', worker, multipartUpload(ctx.uploads), async (req, res) => {
    const label = requiredFileField(req, 'label');
    const name = path.basename(label.fileName);
    if (!LABEL_NAME.test(name)) throw new ApiError('INVALID_PARAM', `result file name "${label.fileName.slice(0, 100)}" must be a plain .nrrd, .nii or .nii.gz name`);
    await portal.complete(req.params.id as string, label.tempPath, name, paramsField(req));
    res.json({ job: req.params.id });
  });
  router.post('/worker/heartbeat', worker, jsonBody, (req, res) => {
    portal.heartbeat(heartbeatOf(bodyObject(req)));
    res.json({ ok: true });
  });
  return router;
}
