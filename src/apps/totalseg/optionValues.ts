import { ApiError } from '../../core/errors';
import type { JsonValue } from '../../core/json';

/**
 * The one parser of infer and train options. Slicer sends bools from checkboxes and numbers cast back from its text
 * fields; other clients send strings. An empty or blank string is not a number (Number("") would be 0).
 */

function invalid(name: string, expected: string, value: JsonValue): never {
  throw new ApiError('INVALID_PARAM', `${name} must be ${expected}, got ${JSON.stringify(value)}`);
}

export function boolOption(name: string, value: JsonValue): boolean {
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'True') return true;
  if (value === 'false' || value === 'False') return false;
  return invalid(name, 'true or false', value);
}

export function numberOption(name: string, value: JsonValue, ok: (n: number) => boolean, expected: string): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && ok(n) ? n : invalid(name, expected, value);
}

export function enumOption<T extends string>(name: string, value: JsonValue, allowed: readonly T[]): T {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : invalid(name, `one of ${allowed.join(', ')}`, value);
}
