import type { LabelDestination } from '../core/inferBackend';
import type { JsonObject } from '../core/json';
import type { ResourceLimits } from '../core/resourceLimits';

/** The distributed queue's name and the channel its coordinator announces cancellations on. */
export const INFER_QUEUE = 'wbct-infer';
export const CANCEL_CHANNEL = `${INFER_QUEUE}:cancel`;
/** Marks a job whose label the coordinator has stored, so that a retried job's result is not stored twice. */
export const savedKey = (queueId: string) => `${INFER_QUEUE}:saved:${queueId}`;
/** Marks a cancelled job, so that a result still on its way is not stored. */
export const cancelledKey = (queueId: string) => `${INFER_QUEUE}:cancelled:${queueId}`;
/** Checksum -> weights file on the coordinator, for every model version a job was queued with. */
export const WEIGHTS_KEY = `${INFER_QUEUE}:weights`;

/** A job's payload: ids and options only. The image and the weights are fetched from the coordinator over HTTP. */
export interface InferJobData {
  readonly model: string;
  readonly params: JsonObject;
  /** The input's file name on the coordinator (its extension is its format). */
  readonly imageName: string;
  readonly imageId?: string;
  /** The model version the job must run: its weights file's SHA-256 and name. */
  readonly weights: { readonly checksum: string; readonly name: string };
  /** The label file's extension the client asked for (`.nrrd`, `.nii.gz`, `.nii`). */
  readonly resultExtension: string;
  readonly limits: ResourceLimits;
  readonly saveLabel?: LabelDestination;
}

/** What a worker's processor returns (BullMQ keeps it with the completed job). */
export interface InferJobReturn {
  readonly worker: string;
}
