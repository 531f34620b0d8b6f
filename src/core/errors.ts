/**
 * The one error catalogue of the server: every error a route can answer with has a code here, an HTTP status and a
 * description. Routes throw `ApiError(code, detail)`; `errorMiddleware` turns it into `{"detail": ...}` with the
 * catalogued status. Anything the client did wrong is 4xx; 5xx is kept for the server's own failures.
 */
export const ERROR_CATALOGUE = {
  NOT_FOUND: { status: 404, description: 'No route matches the method and path.' },
  IMAGE_NOT_FOUND: { status: 404, description: 'The image id is not in the datastore.' },
  LABEL_NOT_FOUND: { status: 404, description: 'The image has no label with that tag.' },
  MODEL_NOT_FOUND: { status: 404, description: 'No infer task or trainer of that name.' },
  MODEL_FILE_MISSING: { status: 404, description: 'The model is known but its weights file is not on disk.' },
  STRATEGY_NOT_FOUND: { status: 404, description: 'No active-learning strategy of that name.' },
  SCORING_NOT_FOUND: { status: 404, description: 'No scoring method of that name.' },
  SESSION_NOT_FOUND: { status: 404, description: 'The session id is unknown or expired.' },
  TASK_NOT_FOUND: { status: 404, description: 'No task of that kind has been submitted (or none is running).' },
  JOB_NOT_FOUND: { status: 404, description: 'No inference job of that id is known to the server (or it belongs to another user).' },
  SESSIONS_DISABLED: { status: 406, description: 'The session feature is switched off in this server.' },
  BAD_REQUEST: { status: 400, description: 'A query or form value is missing or malformed.' },
  INVALID_JSON: { status: 400, description: 'A JSON body or `params` field does not parse, or is not an object.' },
  MISSING_FILE: { status: 422, description: 'A required multipart file part is absent.' },
  INVALID_PARAM: { status: 422, description: 'A parameter has the wrong type or an unsupported value.' },
  NOT_AN_IMAGE: { status: 415, description: 'An uploaded file is not a readable image in a supported format.' },
  GRID_MISMATCH: { status: 422, description: "A label's voxel grid (shape, spacing, origin, direction) differs from its image's." },
  UPLOAD_TOO_LARGE: { status: 413, description: 'An uploaded file or body exceeds the configured size limit.' },
  IMAGE_TOO_LARGE: { status: 413, description: "An image's data or declared voxel count exceeds a configured limit (decompressed bytes, input voxels)." },
  LIMIT_EXCEEDED: { status: 422, description: "An image's geometry asks for more than a configured limit allows (physical extent, resampled voxels, upsampling)." },
  NOT_MULTIPART: { status: 415, description: 'The endpoint takes multipart/form-data (JSON params in the `params` field), not this content type.' },
  TOO_MANY_REQUESTS: { status: 429, description: 'This client already has the allowed number of requests queued or running.' },
  NOT_AUTHENTICATED: { status: 401, description: 'Auth is on and the request carries no bearer token.' },
  INVALID_TOKEN: { status: 401, description: 'The bearer token is malformed, badly signed or expired.' },
  BAD_CREDENTIALS: { status: 401, description: 'Unknown user name or wrong password at /auth/token.' },
  FORBIDDEN_ROLE: { status: 403, description: "The user's roles do not include the one the endpoint needs." },
  TASK_RUNNING: { status: 429, description: 'A task of that kind is already running (train, batch infer, scoring).' },
  JOB_ID_IN_USE: { status: 409, description: 'The `job_id` given with an inference is already taken by another job.' },
  INFER_CANCELLED: { status: 409, description: 'The inference was cancelled (`DELETE /infer/jobs/{id}`) before it finished.' },
  QUEUE_FULL: { status: 429, description: 'The inference queue is full; the client should retry later.' },
  LOGIN_THROTTLED: { status: 429, description: 'Too many failed logins for the user name or from the address; `Retry-After` says when to try again.' },
  MODEL_UNAVAILABLE: { status: 503, description: "The model's weights are not on this server yet; the detail says how to get them." },
  QUEUE_UNAVAILABLE: { status: 503, description: "The distributed job queue (Redis) is not reachable; inference resumes when it is back." },
  NOT_A_WORKER: { status: 401, description: 'A worker endpoint was called without the worker credential.' },
  SHUTTING_DOWN: { status: 503, description: 'The server is stopping and takes no new work.' },
  STORAGE_FULL: { status: 507, description: 'The server has no space left to store the request (disk or quota full); nothing was stored.' },
  STORAGE_UNAVAILABLE: { status: 503, description: "The server's storage refused the operation (I/O error, read-only, too many open files); nothing was stored." },
  INFER_FAILED: { status: 500, description: 'The model run itself failed (not the input).' },
  INTERNAL: { status: 500, description: 'An unexpected server error; the log has the cause.' },
} as const satisfies Record<string, { status: number; description: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** An error with a catalogued code; `detail` is what the client sees. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string;

  constructor(code: ErrorCode, detail?: string) {
    const text = detail ?? ERROR_CATALOGUE[code].description;
    super(text);
    this.name = 'ApiError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.detail = text;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

