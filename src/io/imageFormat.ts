import * as fs from 'node:fs/promises';
import { isGzip } from './gzip';
import type { ImageFormat } from './loadedImage';

export interface FileFormat {
  readonly format: ImageFormat;
  /** For NIfTI: the whole file is gzip-compressed (.nii.gz). */
  readonly gzip: boolean;
}

export const SUPPORTED_EXTENSIONS = ['.nii', '.nii.gz', '.nrrd'] as const;

/** Format from the file name, or null when the extension is not one of SUPPORTED_EXTENSIONS. */
export function formatOfPath(file: string): FileFormat | null {
  const name = file.toLowerCase();
  if (name.endsWith('.nii.gz')) return { format: 'nifti', gzip: true };
  if (name.endsWith('.nii')) return { format: 'nifti', gzip: false };
  if (name.endsWith('.nrrd')) return { format: 'nrrd', gzip: true };
  return null;
}

/** For files without a known extension (uploads stored under temp names): look at the first bytes. */
export async function sniffFormat(file: string): Promise<FileFormat> {
  const fh = await fs.open(file, 'r');
  const head = Buffer.alloc(348);
  try {
    await fh.read(head, 0, head.length, 0);
  } finally {
    await fh.close();
  }
  if (head.toString('latin1', 0, 4) === 'NRRD') return { format: 'nrrd', gzip: true };
  if (isGzip(head)) return { format: 'nifti', gzip: true };
  if (head.toString('latin1', 344, 347) === 'n+1') return { format: 'nifti', gzip: false };
  throw new Error(`${file}: unknown image format; expected ${SUPPORTED_EXTENSIONS.join(', ')}`);
}
