import { UsageError } from '../usageError';
import { checkRedisUrl } from '../../scale/redisUrl';

/** `--queue redis://...` and the worker credential, shared by `wbct serve` and `wbct worker`. */
export const QUEUE_OPTIONS = {
  queue: { type: 'string' },
  'worker-token': { type: 'string' },
} as const;

export function queueUrlFromArgs(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return checkRedisUrl(value);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** The worker credential from `--worker-token` (or `--token` for a worker) or WBCT_WORKER_TOKEN; at least 16 characters. */
export function workerTokenFromArgs(value: string | undefined, flag: string): string {
  const token = value ?? (process.env.WBCT_WORKER_TOKEN || undefined);
  if (token === undefined) throw new UsageError(`${flag} (or WBCT_WORKER_TOKEN) is required with a queue: the credential workers and the coordinator share`);
  if (token.length < 16) throw new UsageError(`the worker credential must be at least 16 characters (got ${token.length})`);
  return token;
}
