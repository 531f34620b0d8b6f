import contentDisposition from 'content-disposition';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { IMAGE_EXTENSIONS, splitFileName } from '../../core/fileNames';
import { StagedUpload } from '../../util/stagedUpload';
import { requireRole, userHasRole, userOf } from '../auth/requireRole';
import { ApiError } from '../../core/errors';
import { sendAttachment } from '../http/fileDownload';
import { sendMultipartAnswer } from '../http/multipartAnswer';
import { fileField, multipartUpload, paramsField } from '../http/multipartUpload';
import { queryEnum, queryString } from '../http/query';
import { runInference, type InferOutput } from '../inferService';
import type { DerivedDicomKind } from '../../core/datastore';
import type { ServerContext } from '../serverContext';
import { checkJobId } from '../tasks/inferJobs';

interface ImageSource {
  readonly imagePath: string;
  readonly imageId?: string;
  release(): Promise<void>;
}

/** The image to segment: a session's, an uploaded `file` part, or a datastore image (in that order, as MONAI Label). */
async function imageSource(ctx: ServerContext, req: Request): Promise<ImageSource> {
  const sessionId = queryString(req, 'session_id');
  const imageId = queryString(req, 'image');
  const file = fileField(req, 'file');
  const none = () => Promise.resolve();
  if (sessionId) {
    if (!ctx.sessions) throw new ApiError('SESSIONS_DISABLED', 'Session Feature is Not Enabled');
    return { imagePath: (await ctx.sessions.get(sessionId, true, userOf(req))).image, release: none };
  }
  if (file) {
    const split = splitFileName(file.fileName || 'image.nii.gz', IMAGE_EXTENSIONS);
    if (!split) throw new ApiError('NOT_AN_IMAGE', `infer file "${file.fileName}" has an unsupported extension; expected one of ${IMAGE_EXTENSIONS.join(', ')}`);
    const staged = await StagedUpload.stage(file, ctx.workDir, split.ext);
    await staged.read(ctx.readVolume);
    return { imagePath: staged.path, release: () => staged.discard() };
  }
  if (imageId) return { imagePath: await ctx.app.datastore.imagePath(imageId), imageId, release: none };
  throw new ApiError('BAD_REQUEST', 'Neither Image nor File not Session ID input is provided');
}

type Answer = (res: Response, output: InferOutput) => Promise<void>;

const OUTPUTS = ['all', 'image', 'json', 'dicom_seg', 'rtstruct'] as const;
type OutputKind = (typeof OUTPUTS)[number];
const DERIVED_DICOM: Record<Exclude<OutputKind, 'all' | 'image' | 'json'>, DerivedDicomKind> = { dicom_seg: 'seg', rtstruct: 'rtstruct' };

/**
 * How the result is sent, per `output`. `dicom_seg` and `rtstruct` need a datastore that can write that DICOM object
 * for one of its images (DICOMweb); they are refused here, before any model run, when that cannot work.
 */
function answerFor(ctx: ServerContext, kind: OutputKind, source: ImageSource): Answer {
  if (kind === 'json') {
    return (res, output) => {
      res.json(output.params);
      return Promise.resolve();
    };
  }
  if (kind === 'image') return (res, output) => sendAttachment(res, output.labelPath, output.fileName);
  if (kind === 'all') return (res, output) => sendMultipartAnswer(res, output.params, { path: output.labelPath, name: output.fileName });
  const derivedKind = DERIVED_DICOM[kind];
  const datastore = ctx.app.datastore;
  const { imageId } = source;
  if (!datastore.derivedDicomFor) {
    throw new ApiError('INVALID_PARAM', `output=${kind} needs a DICOMweb datastore (wbct serve --studies http://host:port/dicom-web); this server's datastore is a local folder`);
  }
  if (imageId === undefined) {
    throw new ApiError('INVALID_PARAM', `output=${kind} needs a datastore image (query image=<id>): an uploaded file or session image has no DICOM series to reference`);
  }
  const derivedDicomFor = datastore.derivedDicomFor.bind(datastore);
  return async (res, output) => {
    const object = await derivedDicomFor(imageId, output.labelPath, derivedKind);
    res.status(200).type('application/dicom').setHeader('Content-Disposition', contentDisposition(`${object.sopInstanceUid}.dcm`));
    res.send(Buffer.from(object.bytes.buffer, object.bytes.byteOffset, object.bytes.byteLength));
  };
}

/**
 * MONAI Label reads infer params only from the multipart `params` field; a JSON (or any other) body would be
 * ignored and a default run happen instead of the one asked for. A request without a body is a default run.
 */
const refuseNonMultipart: RequestHandler = (req, _res, next) => {
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  if (hasBody && !req.is('multipart/form-data')) {
    next(new ApiError('NOT_MULTIPART', `POST /infer takes multipart/form-data with the JSON params in the "params" field, not ${req.headers['content-type'] ?? 'a body without a content type'}`));
    return;
  }
  next();
};

/** Counts the request against its client's `maxRequestsPerClient` from its first byte (the upload too) to its end. */
function oneSlotPerRequest(ctx: ServerContext): RequestHandler {
  return (req, res, next) => {
    const user = userOf(req);
    const client = ctx.auth.enabled ? `user "${user.username}"` : `client ${req.socket.remoteAddress ?? 'unknown'}`;
    const release = ctx.clientRequests.acquire(client);
    res.on('close', release);
    next();
  };
}

/** A malformed `job_id` is refused before the body is read. */
const checkJobIdQuery: RequestHandler = (req, _res, next) => {
  const id = queryString(req, 'job_id');
  if (id !== undefined) checkJobId(id);
  next();
};

/** `POST /infer/{model}`: queued model run, answered as multipart `params` + label file (spec section 4), or per `output`. */
export function inferRoutes(ctx: ServerContext): Router {
  const router = Router();
  router.post('/infer/:model', requireRole(ctx.auth, 'user'), oneSlotPerRequest(ctx), refuseNonMultipart, checkJobIdQuery, multipartUpload(ctx.uploads), async (req, res) => {
    const kind = queryEnum(req, 'output', OUTPUTS, 'all');
    const params = paramsField(req);
    // A client that hangs up cancels its request, queued or running.
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const source = await imageSource(ctx, req);
    try {
      const answer = answerFor(ctx, kind, source);
      const output = await runInference(ctx, {
        model: req.params.model as string,
        imageId: source.imageId,
        imagePath: source.imagePath,
        params,
        signal: abort.signal,
        mayWriteLabels: userHasRole(req, 'annotator'),
        owner: userOf(req).username,
        jobId: queryString(req, 'job_id'),
      });
      try {
        await answer(res, output);
      } finally {
        await output.cleanup();
      }
    } finally {
      await source.release();
    }
  });
  return router;
}
