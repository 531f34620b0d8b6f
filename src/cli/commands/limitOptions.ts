import { DEFAULT_LIMITS, LIMIT_FLAGS, type ResourceLimits } from '../../core/resourceLimits';
import { UsageError } from '../usageError';

const KEYS = Object.keys(LIMIT_FLAGS) as (keyof ResourceLimits)[];
const optionName = (key: keyof ResourceLimits): string => LIMIT_FLAGS[key].flag.slice(2);

/** `parseArgs` options for every resource limit (`--max-upload-mb`, ...). */
export const LIMIT_OPTIONS = Object.fromEntries(KEYS.map((k) => [optionName(k), { type: 'string' as const }])) as Record<string, { type: 'string' }>;

/** What node:util parseArgs gives for each option. */
type ParsedOption = string | boolean | (string | boolean)[] | undefined;

/** The limits the flags set over DEFAULT_LIMITS; MiB flags become bytes. A bad value is a usage error naming the flag. */
export function limitsFromArgs(values: Readonly<Record<string, ParsedOption>>): ResourceLimits {
  const limits: { -readonly [K in keyof ResourceLimits]: ResourceLimits[K] } = { ...DEFAULT_LIMITS };
  for (const key of KEYS) {
    const text = values[optionName(key)];
    if (text === undefined) continue;
    const n = Number(text);
    if (typeof text !== 'string' || text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`${LIMIT_FLAGS[key].flag} must be a positive number, got "${String(text)}"`);
    const unit = LIMIT_FLAGS[key].unit;
    if ((unit === 'voxels' || unit === 'requests') && !Number.isInteger(n)) throw new UsageError(`${LIMIT_FLAGS[key].flag} must be a whole number, got "${text}"`);
    limits[key] = unit === 'MiB' ? Math.round(n * 1024 * 1024) : n;
  }
  return limits;
}
