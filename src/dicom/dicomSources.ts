import * as fs from 'node:fs';
import * as path from 'node:path';
import JSZip from 'jszip';
import { DEFAULT_LIMITS, LimitExceededError, type ResourceLimits } from '../core/resourceLimits';

/** One candidate DICOM file: its bytes and where it came from. */
export interface DicomSource {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** What reading a folder or zip of DICOM files may cost: bytes read or inflated in total, and voxels. */
export type DicomReadLimits = Pick<ResourceLimits, 'maxDecompressedBytes' | 'maxInputVoxels'>;

/**
 * Files one folder or zip may hold. A whole-body CT at 0.5 mm has about 4,000 slices; an archive of tens of thousands
 * of entries is not one series, and listing it already costs memory per entry.
 */
export const MAX_DICOM_FILES = 20_000;

function tooManyFiles(where: string, count: number, what: string): Error {
  return new Error(`${where}: ${count} ${what}; at most ${MAX_DICOM_FILES} files are read from one DICOM folder or zip`);
}

function listFilesRecursive(dir: string, out: string[], root: string): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) listFilesRecursive(full, out, root);
    else if (entry.isFile()) out.push(full);
    if (out.length > MAX_DICOM_FILES) throw tooManyFiles(root, out.length, 'files or more');
  }
}

function readFolder(dir: string, limits: DicomReadLimits): DicomSource[] {
  const files: string[] = [];
  listFilesRecursive(dir, files, dir);
  files.sort();
  let total = 0;
  for (const name of files) total += fs.statSync(name).size;
  if (total > limits.maxDecompressedBytes) throw new LimitExceededError('maxDecompressedBytes', limits.maxDecompressedBytes, `${dir}: ${files.length} files of ${total} bytes`);
  return files.map((name) => ({ name, bytes: new Uint8Array(fs.readFileSync(name)) }));
}

/** What the zip's central directory declares, read before any entry is listed or inflated. */
interface ZipDirectory {
  readonly entries: number;
  /** Sum of the entries' declared uncompressed sizes. */
  readonly declaredBytes: number;
  /** Declared uncompressed size per entry name (the largest, should a name repeat). */
  readonly declaredSize: ReadonlyMap<string, number>;
  /** Names that would climb out of the folder the archive is extracted to (zip slip). */
  readonly unsafeNames: readonly string[];
}

const EOCD = 0x06054b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL_HEADER = 0x02014b50;
const U32_MAX = 0xffffffff;

function isUnsafeEntryName(name: string): boolean {
  const parts = name.split(/[\\/]/);
  return name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name) || parts.includes('..');
}

/** The directory's entry count, declared sizes and unsafe names; an error naming the file when it is not a zip. */
function readZipDirectory(bytes: Buffer, file: string): ZipDirectory {
  const corrupt = (why: string) => new Error(`${file}: not a readable zip archive (${why})`);
  let eocd = -1;
  for (let p = bytes.length - 22; p >= Math.max(0, bytes.length - 22 - 0xffff); p--) {
    if (bytes.readUInt32LE(p) === EOCD) {
      eocd = p;
      break;
    }
  }
  if (eocd < 0) throw corrupt('no end of central directory record');
  let entries = bytes.readUInt16LE(eocd + 10);
  let cdSize = bytes.readUInt32LE(eocd + 12);
  let cdOffset = bytes.readUInt32LE(eocd + 16);
  let cdEnd = eocd;
  if (entries === 0xffff || cdSize === U32_MAX || cdOffset === U32_MAX) {
    const locator = eocd - 20;
    if (locator < 0 || bytes.readUInt32LE(locator) !== ZIP64_LOCATOR) throw corrupt('zip64 sizes without a zip64 end of central directory locator');
    const z64 = Number(bytes.readBigUInt64LE(locator + 8));
    if (!(z64 >= 0 && z64 + 56 <= locator) || bytes.readUInt32LE(z64) !== ZIP64_EOCD) throw corrupt('zip64 end of central directory record missing');
    entries = Number(bytes.readBigUInt64LE(z64 + 32));
    cdSize = Number(bytes.readBigUInt64LE(z64 + 40));
    cdOffset = Number(bytes.readBigUInt64LE(z64 + 48));
    cdEnd = z64;
  }
  if (entries > MAX_DICOM_FILES) throw tooManyFiles(file, entries, 'zip entries');
  // Bytes prepended to the archive (self-extractors) shift every offset; the directory then ends at the EOCD record.
  let p = cdOffset + cdSize <= cdEnd && bytes.readUInt32LE(cdOffset) === CENTRAL_HEADER ? cdOffset : cdEnd - cdSize;
  let declaredBytes = 0;
  const declaredSize = new Map<string, number>();
  const unsafeNames: string[] = [];
  for (let n = 0; n < entries; n++) {
    if (p < 0 || p + 46 > cdEnd || bytes.readUInt32LE(p) !== CENTRAL_HEADER) throw corrupt(`central directory entry ${n} of ${entries} is missing or cut short`);
    let size = bytes.readUInt32LE(p + 24);
    const nameLength = bytes.readUInt16LE(p + 28);
    const extraLength = bytes.readUInt16LE(p + 30);
    const commentLength = bytes.readUInt16LE(p + 32);
    const next = p + 46 + nameLength + extraLength + commentLength;
    if (next > cdEnd) throw corrupt(`central directory entry ${n} runs past the directory`);
    if (size === U32_MAX) {
      // zip64 extended information: the 64-bit uncompressed size comes first when the 32-bit one is saturated.
      let size64: number | undefined;
      const extraEnd = p + 46 + nameLength + extraLength;
      for (let e = p + 46 + nameLength; e + 4 <= extraEnd; ) {
        const id = bytes.readUInt16LE(e);
        const length = bytes.readUInt16LE(e + 2);
        if (id === 0x0001 && length >= 8 && e + 12 <= extraEnd) size64 = Number(bytes.readBigUInt64LE(e + 4));
        e += 4 + length;
      }
      if (size64 === undefined) throw corrupt(`entry ${n} has a saturated size and no zip64 size`);
      size = size64;
    }
    declaredBytes += size;
    const name = bytes.subarray(p + 46, p + 46 + nameLength).toString('utf8');
    if (isUnsafeEntryName(name)) unsafeNames.push(name);
    declaredSize.set(name, Math.max(size, declaredSize.get(name) ?? 0));
    p = next;
  }
  return { entries, declaredBytes, declaredSize, unsafeNames };
}

/**
 * Inflates one entry, counting the bytes as they come: the declared sizes were checked against the budget, but a
 * stream can inflate to far more than its entry declares. Stops at whichever comes first, the budget or the
 * declared size (an entry longer than its declaration is corrupt or hostile).
 */
function inflateEntry(entry: JSZip.JSZipObject, file: string, declared: number | undefined, budget: { left: number; readonly limit: number }): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const stream = entry.nodeStream('nodebuffer') as NodeJS.ReadableStream & { destroy(error?: Error): void };
    const chunks: Buffer[] = [];
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      stream.destroy();
      reject(e);
    };
    let length = 0;
    stream.on('data', (chunk: Buffer) => {
      if (settled) return;
      budget.left -= chunk.length;
      length += chunk.length;
      if (budget.left < 0) {
        fail(new LimitExceededError('maxDecompressedBytes', budget.limit, `${file}: zip entries inflating to more than ${budget.limit} bytes`));
        return;
      }
      if (declared !== undefined && length > declared) {
        fail(new Error(`${file}:${entry.name}: zip entry inflates past the ${declared} bytes its directory declares (corrupt or hostile archive)`));
        return;
      }
      chunks.push(chunk);
    });
    stream.on('error', (e: Error) => fail(new Error(`${file}:${entry.name}: zip entry is corrupt (${e.message})`)));
    stream.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(new Uint8Array(Buffer.concat(chunks)));
    });
  });
}

async function readZip(file: string, limits: DicomReadLimits): Promise<DicomSource[]> {
  const size = fs.statSync(file).size;
  // Stored entries take as many bytes as they hold; an archive bigger than the budget cannot fit in it.
  if (size > limits.maxDecompressedBytes) throw new LimitExceededError('maxDecompressedBytes', limits.maxDecompressedBytes, `${file}: a zip of ${size} bytes`);
  const bytes = fs.readFileSync(file);
  const directory = readZipDirectory(bytes, file);
  if (directory.unsafeNames.length > 0) {
    throw new Error(`${file}: zip entry names climb out of the archive ("${directory.unsafeNames.slice(0, 3).join('", "')}"); refusing a zip-slip archive`);
  }
  if (directory.declaredBytes > limits.maxDecompressedBytes) {
    throw new LimitExceededError('maxDecompressedBytes', limits.maxDecompressedBytes, `${file}: ${directory.entries} zip entries declaring ${directory.declaredBytes} bytes`);
  }
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(bytes);
  } catch (e) {
    throw new Error(`${file}: not a readable zip archive (${(e as Error).message})`);
  }
  const entries = Object.values(zip.files).filter((f) => !f.dir).sort((a, b) => a.name.localeCompare(b.name));
  if (entries.length > MAX_DICOM_FILES) throw tooManyFiles(file, entries.length, 'zip entries');
  const budget = { left: limits.maxDecompressedBytes, limit: limits.maxDecompressedBytes };
  const out: DicomSource[] = [];
  for (const entry of entries) {
    const declared = directory.declaredSize.get(entry.unsafeOriginalName ?? entry.name);
    out.push({ name: `${file}:${entry.name}`, bytes: await inflateEntry(entry, file, declared, budget) });
  }
  return out;
}

/**
 * Every file under a folder (recursively) or inside a .zip, sorted by name; no DICOM check yet. Refused before the
 * bytes are read or inflated: more than {@link MAX_DICOM_FILES} files, more than `maxDecompressedBytes` in total
 * (declared by the zip, or counted while inflating), zip entry names with `..` or absolute paths.
 */
export async function loadDicomSources(pathOrZip: string, limits: DicomReadLimits = DEFAULT_LIMITS): Promise<DicomSource[]> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(pathOrZip);
  } catch {
    throw new Error(`${pathOrZip}: no such file or folder`);
  }
  if (stat.isDirectory()) return readFolder(pathOrZip, limits);
  if (pathOrZip.toLowerCase().endsWith('.zip')) return readZip(pathOrZip, limits);
  throw new Error(`${pathOrZip}: expected a folder of DICOM files or a .zip of them`);
}
