import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './usageError';

/**
 * The absolute path an output option names, checked before any long run: its folder exists, it is not a folder
 * itself, and it ends in `extension` when one is required.
 */
export function outputFileOption(flag: string, value: string | undefined, extension?: string): string | undefined {
  if (value === undefined) return undefined;
  const file = path.resolve(value);
  if (extension !== undefined && path.extname(file).toLowerCase() !== extension) throw new UsageError(`--${flag} must name a ${extension} file, got "${value}"`);
  const folder = path.dirname(file);
  if (!fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--${flag} ${value}: folder ${folder} does not exist`);
  if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--${flag} ${value} is a folder; name a file`);
  return file;
}
