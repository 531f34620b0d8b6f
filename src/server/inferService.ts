import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ApiError, isApiError } from './errors';
import type { JsonObject } from './json';
import { ORIGINAL_TAG } from './interfaces/datastore';
import type { InferResult } from './interfaces/tasks';
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
  const task = ctx.app.infers.get(input.model);
  if (!task) throw new ApiError('MODEL_NOT_FOUND', `Model "${input.model}" Not Found; available: ${[...ctx.app.infers.keys()].join(', ')}`);
  const fileName = `tmp${randomBytes(8).toString('hex')}${resultExtension(input.params)}`;
  const outputPath = path.join(ctx.workDir, fileName);
  const params: JsonObject = { ...input.params, model: input.model, image: input.imageId ?? input.imagePath };
  let result: InferResult;
  try {
    result = await ctx.inferQueue.run((signal) => task.run({ imagePath: input.imagePath, outputPath, params, signal }), input.signal);
  } catch (e) {
    await fs.rm(outputPath, { force: true });
    if (isApiError(e) || isAbort(e) || input.signal.aborted) throw e;
    ctx.log.error('infer failed', { model: input.model, image: input.imageId ?? input.imagePath, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    throw new ApiError('INFER_FAILED', `Failed to execute infer: ${e instanceof Error ? e.message : String(e)}`);
  }
  const output: InferOutput = { labelPath: result.labelPath, fileName, params: result.params, cleanup: () => fs.rm(result.labelPath, { force: true }) };
  try {
    if (input.params.save_label === true && input.imageId !== undefined) await saveOriginal(ctx, input, output);
  } catch (e) {
    await output.cleanup();
    throw e;
  }
  return output;
}

async function saveOriginal(ctx: ServerContext, input: InferInput, output: InferOutput): Promise<void> {
  const tag = typeof input.params.label_tag === 'string' && input.params.label_tag !== '' ? input.params.label_tag : ORIGINAL_TAG;
  const copy = path.join(ctx.workDir, `copy-${output.fileName}`);
  await fs.copyFile(output.labelPath, copy);
  try {
    await ctx.app.datastore.saveLabel(input.imageId as string, tag, { tempPath: copy, fileName: output.fileName }, { model: input.model, params: output.params });
  } finally {
    await fs.rm(copy, { force: true });
  }
}
