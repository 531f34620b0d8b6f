import { createHash } from 'node:crypto';

/** Image formats the datastore keeps, longest first so `.nii.gz` wins over `.nii`/`.gz` (MONAI Label's list, readable ones). */
export const IMAGE_EXTENSIONS = ['.nii.gz', '.nii', '.nrrd'] as const;
/** Labels may also come as Slicer segmentation files. */
export const LABEL_EXTENSIONS = ['.seg.nrrd', ...IMAGE_EXTENSIONS] as const;

/**
 * The basename of a client-side file name. Clients send full local paths, Windows ones with backslashes
 * (`C:\Users\me\tmpab12.nii.gz`); only the last component means anything.
 */
export function uploadBaseName(fileName: string): string {
  const parts = fileName.split(/[\\/]/);
  return parts[parts.length - 1] ?? '';
}

/** Splits `case001.nii.gz` into stem and extension among `extensions`; null for an unsupported extension. */
export function splitFileName(fileName: string, extensions: readonly string[] = IMAGE_EXTENSIONS): { stem: string; ext: string } | null {
  const base = uploadBaseName(fileName);
  const lower = base.toLowerCase();
  for (const ext of extensions) {
    if (lower.endsWith(ext) && base.length > ext.length) return { stem: base.slice(0, base.length - ext.length), ext };
  }
  return null;
}

const SAFE_STEM = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/**
 * The file stem for an image id. Ids are kept verbatim (`6: CT Chest`), but only plain names become file names:
 * anything else is cleaned and suffixed with a hash of the id, so distinct ids never share a file and no id can
 * climb out of the folder.
 */
export function fileStemForId(id: string): string {
  if (SAFE_STEM.test(id) && !id.includes('..') && !WINDOWS_RESERVED.test(id)) return id;
  const cleaned = id
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .replace(/\.{2,}/g, '.')
    .replace(/^[._-]+|[._-]+$/g, '')
    .slice(0, 60);
  const hash = createHash('sha256').update(id).digest('hex').slice(0, 10);
  return `${cleaned || 'image'}-${hash}`;
}

/** A stored file name read back from the index must still be a plain name in its folder. */
export function isPlainFileName(name: string): boolean {
  return name.length > 0 && name.length < 256 && !/[\\/\0]/.test(name) && !name.startsWith('.');
}

const TAG = /^[A-Za-z0-9_-]{1,64}$/;

/** Ids and tags are keys of the index's JSON objects, where `__proto__` would not be an ordinary key. */
const RESERVED_KEY = '__proto__';

/** Label tags become folder names under `labels/`, so only plain words are allowed. */
export function isValidTag(tag: string): boolean {
  return TAG.test(tag) && tag !== RESERVED_KEY;
}

/** Ids are free text but not empty, not huge, without control characters and not `__proto__`. */
export function isValidId(id: string): boolean {
  // eslint-disable-next-line no-control-regex
  return id.length > 0 && id.length <= 512 && !/[\u0000-\u001f\u007f]/.test(id) && id !== RESERVED_KEY;
}
