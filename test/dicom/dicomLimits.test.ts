import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDicomSources, MAX_DICOM_FILES } from '../../src/dicom/dicomSources';
import { listDicomSeries, readDicomSeries } from '../../src/dicom/readDicomSeries';
import { parseSlice } from '../../src/dicom/parseSlice';
import { DEFAULT_LIMITS, isLimitExceeded, LimitExceededError } from '../../src/core/resourceLimits';
import { ctSeries, deflatedBomb, editDicom, editSlice, type DicomFile } from '../reliability/harness/dicomFiles';
import { buildZip, deflatedEntry, storedEntry, zerosEntry, type RawZipEntry } from '../reliability/harness/rawZip';
import { removeTempDirs, tempDir } from './helpers/syntheticSeries';

afterAll(removeTempDirs);

const MiB = 1 << 20;
const SHAPE = [10, 8, 5] as const;
const VOXELS = SHAPE[0] * SHAPE[1] * SHAPE[2];

function zipFile(entries: readonly RawZipEntry[], name = 'series.zip'): string {
  const file = path.join(tempDir('zip'), name);
  fs.writeFileSync(file, buildZip(entries));
  return file;
}

function folder(files: readonly DicomFile[]): string {
  const dir = path.join(tempDir('folder'), 'series');
  fs.mkdirSync(dir);
  for (const f of files) fs.writeFileSync(path.join(dir, f.name), f.bytes);
  return dir;
}

const seriesEntries = (files: readonly DicomFile[] = ctSeries()) => files.map((f) => deflatedEntry(`series/${f.name}`, f.bytes));

/** The rejection, which must be a LimitExceededError for `limit`, naming it and its flag. */
async function limitError(p: Promise<unknown>, limit: LimitExceededError['limit']): Promise<LimitExceededError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isLimitExceeded(e)).toBe(true);
  const error = e as LimitExceededError;
  expect(error.limit).toBe(limit);
  expect(error.message).toContain(`limit ${limit}`);
  return error;
}

describe('readDicomSeries within limits', () => {
  it('keeps the old signature: path, or path and options, reads with the default limits', async () => {
    const zip = zipFile(seriesEntries());
    expect((await readDicomSeries(zip)).volume.shape).toEqual(SHAPE);
    expect((await readDicomSeries(zip, { allowIrregular: false })).volume.shape).toEqual(SHAPE);
    expect((await readDicomSeries(zip, {}, DEFAULT_LIMITS)).volume.shape).toEqual(SHAPE);
  });

  it('Rows x Columns x slices over maxInputVoxels: refused before decoding; exactly at the limit: read', async () => {
    const zip = zipFile(seriesEntries());
    const e = await limitError(readDicomSeries(zip, {}, { maxInputVoxels: VOXELS - 1, maxDecompressedBytes: DEFAULT_LIMITS.maxDecompressedBytes }), 'maxInputVoxels');
    expect(e.message).toMatch(/series of 5 slices of 10 x 8 \(400 voxels\)/);
    const { volume } = await readDicomSeries(zip, {}, { maxInputVoxels: VOXELS, maxDecompressedBytes: DEFAULT_LIMITS.maxDecompressedBytes });
    expect(volume.shape).toEqual(SHAPE);
  });

  it('one file declaring more voxels than the limit (65535 x 65535 with 160 bytes of pixels): refused by its header', async () => {
    const files = editSlice(ctSeries(), 2, (ds) => {
      ds.Rows = 65535;
      ds.Columns = 65535;
    });
    const e = await limitError(readDicomSeries(folder(files)), 'maxInputVoxels');
    expect(e.message).toMatch(/65535 x 65535 image of 1 frame\(s\)/);
  });

  it('a multi-frame file whose Rows x Columns x frames exceed the limit is refused as too large, not decoded', async () => {
    const files = editSlice(ctSeries(), 0, (ds) => {
      ds.Rows = 4096;
      ds.Columns = 4096;
      ds.NumberOfFrames = '1000';
    });
    const e = await limitError(readDicomSeries(folder(files)), 'maxInputVoxels');
    expect(e.message).toMatch(/4096 x 4096 image of 1000 frame\(s\)/);
  });

  it('listDicomSeries takes the same limits', async () => {
    const zip = zipFile(seriesEntries());
    await limitError(listDicomSeries(zip, { maxInputVoxels: DEFAULT_LIMITS.maxInputVoxels, maxDecompressedBytes: 1000 }), 'maxDecompressedBytes');
    expect((await listDicomSeries(zip)).map((s) => s.sliceCount)).toEqual([5]);
  });
});

describe('zip archives within limits', () => {
  const limits = { maxInputVoxels: DEFAULT_LIMITS.maxInputVoxels, maxDecompressedBytes: 8 * MiB };

  it('entries declaring more than maxDecompressedBytes in total are refused before any is inflated', async () => {
    // Each entry declares 3 MiB but holds bytes that do not inflate at all: had one been inflated, the error would
    // be a corrupt entry, not the limit.
    const garbage = Buffer.from('not a deflate stream at all');
    const entries: RawZipEntry[] = [0, 1, 2].map((n) => ({ name: `e${n}.dcm`, data: garbage, method: 8, declaredSize: 3 * MiB, crc32: 0 }));
    const e = await limitError(loadDicomSources(zipFile(entries), limits), 'maxDecompressedBytes');
    expect(e.message).toMatch(/3 zip entries declaring 9437184 bytes/);
  });

  it('an entry that inflates past its declared size is stopped there: a declared size is not trusted alone', async () => {
    // 1 KiB declared, 2 GiB of zeros in the stream.
    const zip = zipFile([zerosEntry('bomb.dcm', 2048 * MiB, 1024)]);
    await expect(loadDicomSources(zip, limits)).rejects.toThrow(/bomb\.dcm: zip entry inflates past the 1024 bytes its directory declares/);
    await expect(readDicomSeries(zip)).rejects.toThrow(/inflates past the 1024 bytes/);
  });

  it('a zip64 entry declaring 2^40 bytes is refused from its declaration', async () => {
    const zip = zipFile([zerosEntry('big.dcm', MiB, 2 ** 40)]);
    await limitError(readDicomSeries(zip), 'maxDecompressedBytes');
  });

  it('an archive larger than maxDecompressedBytes is refused before it is parsed', async () => {
    const zip = zipFile([storedEntry('a.bin', Buffer.alloc(9 * MiB))]);
    const e = await limitError(loadDicomSources(zip, limits), 'maxDecompressedBytes');
    expect(e.message).toMatch(/a zip of \d+ bytes/);
  });

  it(`more than ${MAX_DICOM_FILES} entries are refused from the end-of-directory record`, async () => {
    const tiny = storedEntry('x', Buffer.from('x'));
    const entries = Array.from({ length: MAX_DICOM_FILES + 1 }, (_, n) => ({ ...tiny, name: `f${n}` }));
    await expect(loadDicomSources(zipFile(entries))).rejects.toThrow(new RegExp(`${MAX_DICOM_FILES + 1} zip entries; at most ${MAX_DICOM_FILES} files`));
    const atCap = entries.slice(0, MAX_DICOM_FILES);
    expect((await loadDicomSources(zipFile(atCap))).length).toBe(MAX_DICOM_FILES);
  });

  it('a zip64 directory claiming 2^40 entries is refused without walking it', async () => {
    const z64 = Buffer.alloc(56);
    z64.writeUInt32LE(0x06064b50, 0);
    z64.writeBigUInt64LE(44n, 4);
    z64.writeBigUInt64LE(2n ** 40n, 24);
    z64.writeBigUInt64LE(2n ** 40n, 32);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(0n, 8);
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(0xffff, 8);
    eocd.writeUInt16LE(0xffff, 10);
    eocd.writeUInt32LE(0xffffffff, 16);
    const file = path.join(tempDir('zip64'), 'claims.zip');
    fs.writeFileSync(file, Buffer.concat([z64, locator, eocd]));
    await expect(loadDicomSources(file)).rejects.toThrow(/1099511627776 zip entries; at most/);
  });

  it('a directory that claims more entries than it holds is not a readable zip', async () => {
    const good = buildZip(seriesEntries());
    good.writeUInt16LE(9, good.length - 22 + 8);
    good.writeUInt16LE(9, good.length - 22 + 10);
    const file = path.join(tempDir('short'), 'short.zip');
    fs.writeFileSync(file, good);
    await expect(loadDicomSources(file)).rejects.toThrow(/not a readable zip archive \(central directory entry 5 of 9/);
  });

  it.each(['../../etc/cron.d/x.dcm', '/etc/x.dcm', 'a/../../b.dcm', '..\\..\\windows\\x.dcm', 'C:/x.dcm'])('an entry named %s is refused (zip slip)', async (name) => {
    const zip = zipFile([...seriesEntries(), storedEntry(name, Buffer.from('x'))]);
    await expect(readDicomSeries(zip)).rejects.toThrow(/zip entry names climb out of the archive .*zip-slip/);
  });

  it('bytes that are not a zip, and a truncated zip, are errors naming the file', async () => {
    const notZip = path.join(tempDir('nz'), 'x.zip');
    fs.writeFileSync(notZip, Buffer.from('hello, not a zip'));
    await expect(readDicomSeries(notZip)).rejects.toThrow(/x\.zip: not a readable zip archive \(no end of central directory record\)/);
    const cut = path.join(tempDir('cut'), 'cut.zip');
    const bytes = buildZip(seriesEntries());
    fs.writeFileSync(cut, bytes.subarray(0, bytes.length - 30));
    await expect(readDicomSeries(cut)).rejects.toThrow(/cut\.zip: not a readable zip archive/);
  });
});

describe('folders and single files within limits', () => {
  it('a folder whose files exceed maxDecompressedBytes is refused before they are read', async () => {
    const dir = folder([...ctSeries(), { name: 'big.bin', bytes: Buffer.alloc(2 * MiB) }]);
    await limitError(readDicomSeries(dir, {}, { maxInputVoxels: DEFAULT_LIMITS.maxInputVoxels, maxDecompressedBytes: MiB }), 'maxDecompressedBytes');
    expect((await readDicomSeries(dir)).volume.shape).toEqual(SHAPE);
  });

  it(`a folder of more than ${MAX_DICOM_FILES} files is refused while it is listed`, async () => {
    const dir = path.join(tempDir('many'), 'series');
    fs.mkdirSync(dir);
    for (let n = 0; n <= MAX_DICOM_FILES; n++) fs.writeFileSync(path.join(dir, `f${n}`), '');
    await expect(loadDicomSources(dir)).rejects.toThrow(/files or more; at most 20000 files/);
  });

  it('a deflated dataset inflating past maxDecompressedBytes is stopped there, as the limit', () => {
    const bomb = deflatedBomb(64 * MiB);
    let thrown: unknown;
    try {
      parseSlice('bomb.dcm', bomb, { maxInflatedBytes: 4 * MiB });
    } catch (e) {
      thrown = e;
    }
    expect(isLimitExceeded(thrown)).toBe(true);
    expect((thrown as Error).message).toMatch(/bomb\.dcm: a deflated DICOM dataset inflating to more than 4194304 bytes exceeds the limit maxDecompressedBytes/);
  });

  it('the deflated bomb in a series folder is refused within the budget the other files leave', async () => {
    const dir = folder([...ctSeries(), { name: 'bomb.dcm', bytes: deflatedBomb(64 * MiB) }]);
    const e = await limitError(readDicomSeries(dir, {}, { maxInputVoxels: DEFAULT_LIMITS.maxInputVoxels, maxDecompressedBytes: 16 * MiB }), 'maxDecompressedBytes');
    expect(e.message).toMatch(/bomb\.dcm: a deflated DICOM dataset inflating past the \d+ bytes .* maxDecompressedBytes = 16 MiB/);
  });

  it('a slice whose pixel data is shorter than Rows x Columns is refused before the volume is decoded', async () => {
    const files = editSlice(ctSeries(), 4, (ds) => (ds.Rows = 9));
    files.forEach((f, k) => {
      if (k < 4) files[k] = editDicom(f, (ds) => (ds.Rows = 9));
    });
    await expect(readDicomSeries(folder(files))).rejects.toThrow(/PixelData has 160 bytes, 9x10 at 16 bits needs 180/);
  });

  it('RescaleSlope that is not a finite number is refused, not turned into NaN voxels', async () => {
    const files = editSlice(ctSeries(), 1, (ds) => (ds.RescaleSlope = 'NaN'));
    await expect(readDicomSeries(folder(files))).rejects.toThrow(/RescaleSlope NaN .* are not finite numbers/);
  });
});
