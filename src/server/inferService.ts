import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { isLimitExceeded } from '../core/resourceLimits';
import { ApiError, isApiError } from '../core/errors';
import { apiErrorOfLimit } from '../core/limitErrors';
import { storageErrorOf } from './http/storageErrors';
import type { JsonObject } from '../core/json';
import { ORIGINAL_TAG } from '../core/datastore';
import type { InferOutcome } from '../core/inferBackend';
import { storeLabelCopy } from '../util/storeLabelCopy';
import type { ServerContext } from './serverContext';

/** Result formats the label writer supports; MONAI Label's default is `.nii.gz`, Slicer asks for `.nrrd`. */
export const RESULT_EXTENSIONS = ['.nrrd', '.nii.gz', '.nii'] as const;

export interface InferInput {
  readonly model: string;
  /** The datastore id when the image came from the datastore (needed for `save_label`). */
  readonly imageId?: string;
  readonly imagePath: string;
  readonly params: JsonObject;
  readonly signal: AbortSignal;
  /** Whether the requester may store labels (role `annotator`, as for `PUT /datastore/label`); `save_label` is refused with 403 before the model runs otherwise. */
  readonly mayWriteLabels: boolean;
  /** Who the job belongs to in the progress API (`GET /infer/jobs`), and the id the client chose for it (`job_id`). */
  readonly owner: string;
  readonly jobId?: string;
}

export interface InferOutput {
  readonly labelPath: string;
  /** A plain, unique basename in the requested extension, for the answer's file part. */
  readonly fileName: string;
  readonly params: JsonObject;
  /** Removes the result file (call after it has been sent). */
  cleanup(): Promise<void>;
}

function resultExtension(params: JsonObject): string {
  const value = params.result_extension ?? '.nii.gz';
  const ext = typeof value === 'string' ? value.toLowerCase() : '';
  if (!(RESULT_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new ApiError('INVALID_PARAM', `result_extension must be one of ${RESULT_EXTENSIONS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return ext;
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

/**
 * Runs one infer request through the queue (one model run at a time) and, with `save_label: true`, stores the
 * result as label tag `label_tag` (default `original`) with info `{model, params}`.
 */
export async function runInference(ctx: ServerContext, input: InferInput): Promise<InferOutput> {
  const savesLabel = input.params.save_label === true && input.imageId !== undefined;
  if (savesLabel && !input.mayWriteLabels) {
    throw new ApiError('FORBIDDEN_ROLE', `Role "annotator" is required to save a label (params save_label: true, label_tag "${labelTagOf(input.params)}"); run without save_label`);
  }
  const task = ctx.app.infers.get(input.model);
  if (!task) throw new ApiError('MODEL_NOT_FOUND', `Model "${input.model}" Not Found; available: ${[...ctx.app.infers.keys()].join(', ')}`);
  const fileName = `tmp${randomBytes(8).toString('hex')}${resultExtension(input.params)}`;
  const outputPath = path.join(ctx.workDir, fileName);
  const params: JsonObject = { ...input.params, model: input.model, image: input.imageId ?? input.imagePath };
  const limits = ctx.limits;
  const job = ctx.inferJobs.open({ id: input.jobId, model: input.model, owner: input.owner, signal: input.signal });
  const saveLabel = savesLabel && input.imageId !== undefined ? { imageId: input.imageId, tag: labelTagOf(input.params), info: { model: input.model } } : undefined;
  let result: InferOutcome;
  try {
    await task.admit?.({ imagePath: input.imagePath, params, limits, imageName: input.imageId ?? 'the uploaded image' });
    result = await ctx.inferBackend.run(
      { jobId: job.id, model: input.model, imageId: input.imageId, imagePath: input.imagePath, outputPath, params, limits, saveLabel },
      { signal: job.signal, onStart: () => job.running(), onProgress: (p) => job.progress(p) },
    );
  } catch (e) {
    await fs.rm(outputPath, { force: true });
    const error = inferError(ctx, input, job.cancelledByRequest ? new ApiError('INFER_CANCELLED', `inference job "${job.id}" was cancelled (DELETE /infer/jobs/${job.id})`) : e);
    job.finish(job.signal.aborted ? 'cancelled' : 'failed', error instanceof Error ? error.message : String(error));
    throw error;
  }
  const output: InferOutput = { labelPath: result.labelPath, fileName, params: result.params, cleanup: () => fs.rm(result.labelPath, { force: true }) };
  try {
    if (saveLabel && !result.labelSaved) await storeLabelCopy(ctx.app.datastore, saveLabel, output.labelPath, output.fileName, output.params);
  } catch (e) {
    await output.cleanup();
    job.finish('failed', e instanceof Error ? e.message : String(e));
    throw e;
  }
  job.finish('done');
  return output;
}

/** What the client is told about a failed run: its own error, a catalogued one for a known cause, else INFER_FAILED. */
function inferError(ctx: ServerContext, input: InferInput, e: unknown): unknown {
  if (isApiError(e) || isAbort(e) || input.signal.aborted) return e;
  if (isLimitExceeded(e)) return apiErrorOfLimit(e);
  const storage = storageErrorOf(e);
  if (storage) return storage;
  ctx.log.error('infer failed', { model: input.model, image: input.imageId ?? input.imagePath, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  return new ApiError('INFER_FAILED', `Failed to execute infer: ${e instanceof Error ? e.message : String(e)}`);
}

function labelTagOf(params: JsonObject): string {
  return typeof params.label_tag === 'string' && params.label_tag !== '' ? params.label_tag : ORIGINAL_TAG;
}
