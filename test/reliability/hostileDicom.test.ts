import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { mulMat4, type Mat4 } from '../../src/core/volume';
import { describeWithRunner, TINY_MODEL } from '../server/harness/realRunner';
import {
  ctSeries,
  corruptDeflated,
  deflatedBomb,
  directoryObject,
  editAll,
  editDicom,
  editSlice,
  lengthPastTheEnd,
  nestedSequences,
  newUid,
  SERIES_AFFINE,
  sliceAt,
  type DicomFile,
} from './harness/dicomFiles';
import { everywhere, expectCase, HostileUploadBench, refused, UPLOAD_ENDPOINTS, type HostileCase } from './harness/hostileUploads';
import { recordCase, type CaseOutcome } from './harness/ledger';
import { int16Voxels, niftiFile } from './harness/niftiBuilder';
import { buildZip, deflatedEntry, storedEntry, zerosEntry } from './harness/rawZip';
import { CLI, tempRoot } from './harness/serverProcess';

/**
 * DICOM series as .zip archives, malformed and hostile: bombs, zip slip, thousands of entries, truncated or
 * oversized pixel data, broken geometry, compressed syntaxes. The DICOM reader is exercised through
 * `wbct segment x.zip` (exit 1, a message naming the problem, nothing written); the upload routes, which take
 * .nii/.nii.gz/.nrrd only, must refuse every archive and every DICOM file by name or content with 415, and stay up.
 */

const MiB = 1 << 20;

/** Entries of a series inside a folder of the archive, deflated as archivers do. */
const entriesOf = (files: readonly DicomFile[], dir = 'series/') => files.map((f) => deflatedEntry(`${dir}${f.name}`, f.bytes));

interface ZipCase {
  readonly name: string;
  readonly zip: () => Buffer;
  /** What `wbct segment` must print on stderr (exit 1); undefined for a valid control (exit 0). */
  readonly cli?: RegExp;
}

const replace = (files: readonly DicomFile[], k: number, file: DicomFile) => files.map((f, n) => (n === k ? file : f));

function tiltedSeries(): DicomFile[] {
  const shear: Mat4 = [[1, 0, 0, 0], [0, 1, 0.3, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
  return ctSeries([10, 8, 5], mulMat4(SERIES_AFFINE, shear));
}

function shiftSlice(files: readonly DicomFile[], k: number, mm: number): DicomFile[] {
  return editSlice(files, k, (ds) => {
    const [x = NaN, y = NaN, z = NaN] = (ds.ImagePositionPatient as unknown[]).map(Number);
    ds.ImagePositionPatient = [x, y, z + mm].map(String);
  });
}

const ZIP_CASES: readonly ZipCase[] = [
  { name: 'valid series, deflated entries (control)', zip: () => buildZip(entriesOf(ctSeries())) },
  { name: 'valid series, stored entries, README and folders beside it (control)', zip: () => buildZip([storedEntry('README.txt', Buffer.from('exported')), ...ctSeries().map((f) => storedEntry(`a/b/${f.name}`, f.bytes))]) },
  { name: 'a zip with no DICOM in it', zip: () => buildZip([storedEntry('README.txt', Buffer.from('hello')), deflatedEntry('notes/data.bin', Buffer.alloc(5000, 3))]), cli: /no DICOM image slices found/ },
  { name: 'an empty zip', zip: () => buildZip([]), cli: /no DICOM image slices found/ },
  { name: 'not a zip at all', zip: () => Buffer.from('this is a text file with a .zip name\n'.repeat(20)), cli: /not a readable zip archive/ },
  { name: 'a zip cut in half', zip: () => { const z = buildZip(entriesOf(ctSeries())); return z.subarray(0, z.length >> 1); }, cli: /not a readable zip archive/ },
  { name: 'a zip cut inside its central directory', zip: () => { const z = buildZip(entriesOf(ctSeries())); return Buffer.concat([z.subarray(0, z.length - 80), z.subarray(z.length - 22)]); }, cli: /not a readable zip archive/ },
  { name: 'a directory claiming 60,000 entries for 5', zip: () => { const z = buildZip(entriesOf(ctSeries())); z.writeUInt16LE(60000, z.length - 14); z.writeUInt16LE(60000, z.length - 12); return z; }, cli: /60000 zip entries; at most 20000/ },
  { name: 'zip bomb: one entry inflating to 2 GiB (declared)', zip: () => buildZip([zerosEntry('bomb.dcm', 2048 * MiB)]), cli: /maxDecompressedBytes/ },
  { name: 'zip bomb: five entries of 300 MiB each (declared)', zip: () => buildZip([0, 1, 2, 3, 4].map((n) => zerosEntry(`slice${n}.dcm`, 300 * MiB))), cli: /maxDecompressedBytes/ },
  { name: 'zip bomb: 1 KiB declared, 2 GiB inflated', zip: () => buildZip([...entriesOf(ctSeries()), zerosEntry('series/bomb.dcm', 2048 * MiB, 1024)]), cli: /zip entry inflates past the 1024 bytes its directory declares/ },
  { name: 'zip bomb: a zip64 size of 2^40 bytes', zip: () => buildZip([zerosEntry('big.dcm', MiB, 2 ** 40)]), cli: /maxDecompressedBytes/ },
  { name: '../ entry names (zip slip)', zip: () => buildZip(entriesOf(ctSeries(), '../../tmp/wbct-zip-slip/')), cli: /climb out of the archive/ },
  { name: 'absolute entry names', zip: () => buildZip(entriesOf(ctSeries(), '/tmp/wbct-zip-slip/')), cli: /climb out of the archive/ },
  { name: 'Windows ..\\ entry names', zip: () => buildZip(entriesOf(ctSeries(), '..\\..\\wbct\\')), cli: /climb out of the archive/ },
  { name: '25,000 tiny entries', zip: () => buildZip(Array.from({ length: 25_000 }, (_, n) => storedEntry(`f/${n}.txt`, Buffer.from('x')))), cli: /25000 zip entries; at most 20000/ },
  { name: '3,000 tiny text entries', zip: () => buildZip(Array.from({ length: 3000 }, (_, n) => storedEntry(`f/${n}.txt`, Buffer.from(`file ${n}`)))), cli: /no DICOM image slices found/ },
  { name: '2,000 tiny files with a DICM marker and nothing else', zip: () => buildZip(Array.from({ length: 2000 }, (_, n) => storedEntry(`f/${n}.dcm`, Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.alloc(8, 0xff)])))), cli: /unreadable DICOM file/ },
  { name: 'an entry with an unsupported compression method (bzip2)', zip: () => buildZip([{ ...storedEntry('series/a.dcm', sliceAt(ctSeries(), 0).bytes), method: 12 }]), cli: /not a readable zip archive/ },
  { name: 'a zip in the zip', zip: () => buildZip([storedEntry('inner.zip', buildZip(entriesOf(ctSeries())))]), cli: /no DICOM image slices found/ },
  { name: 'a directory object only (no image)', zip: () => buildZip([storedEntry('DICOMDIR', directoryObject())]), cli: /no DICOM image slices found/ },
  { name: 'a slice cut to 80% (truncated pixel data)', zip: () => { const f = ctSeries(); const s = sliceAt(f, 2); const cut = s.bytes.subarray(0, Math.floor(s.bytes.length * 0.8)); return buildZip(entriesOf(replace(f, 2, { name: s.name, bytes: cut }))); }, cli: /unreadable DICOM file|PixelData has/ },
  { name: 'Rows larger than the pixel data holds', zip: () => buildZip(entriesOf(editAll(ctSeries(), (ds) => (ds.Rows = 80)))), cli: /PixelData has 160 bytes, 80x10 at 16 bits needs 1600/ },
  { name: 'Rows missing', zip: () => buildZip(entriesOf(editAll(ctSeries(), (ds) => delete ds.Rows))), cli: /has no Rows\/Columns/ },
  { name: 'Columns missing', zip: () => buildZip(entriesOf(editAll(ctSeries(), (ds) => delete ds.Columns))), cli: /has no Rows\/Columns/ },
  { name: 'Rows = Columns = 65535 (4.3 G voxels a slice)', zip: () => buildZip(entriesOf(editAll(ctSeries(), (ds) => { ds.Rows = 65535; ds.Columns = 65535; }))), cli: /maxInputVoxels/ },
  { name: '4096 x 4096 x 1000 frames declared', zip: () => buildZip(entriesOf(editAll(ctSeries(), (ds) => { ds.Rows = 4096; ds.Columns = 4096; ds.NumberOfFrames = '1000'; }))), cli: /maxInputVoxels/ },
  {
    name: '1,100 slices of 512 x 512 declared (288 M voxels), 160 bytes of pixels each',
    zip: () => {
      const slice = editDicom(sliceAt(ctSeries(), 0), (ds) => { ds.Rows = 512; ds.Columns = 512; });
      return buildZip(Array.from({ length: 1100 }, (_, n) => storedEntry(`s/${n}.dcm`, slice.bytes)));
    },
    cli: /series of 1100 slices of 512 x 512 .* maxInputVoxels/,
  },
  { name: 'multi-frame slices (3 frames)', zip: () => buildZip(entriesOf(editAll(ctSeries(), (ds) => (ds.NumberOfFrames = '3')))), cli: /multi-frame images \(3 frames\) are not supported/ },
  { name: 'two series mixed', zip: () => buildZip([...entriesOf(ctSeries(), 'a/'), ...entriesOf(ctSeries([6, 6, 3]), 'b/')]), cli: /2 image series found, choose one/ },
  { name: 'gantry tilt', zip: () => buildZip(entriesOf(tiltedSeries())), cli: /gantry tilt/ },
  { name: 'inconsistent slice spacing', zip: () => buildZip(entriesOf(shiftSlice(ctSeries(), 2, 0.6))), cli: /inconsistent slice spacing/ },
  { name: 'a missing slice', zip: () => buildZip(entriesOf(ctSeries().filter((_, k) => k !== 2))), cli: /missing slice/ },
  { name: 'two slices at one position', zip: () => { const f = ctSeries(); return buildZip(entriesOf([...f, editDicom(sliceAt(f, 1), (ds) => (ds.SOPInstanceUID = newUid()))].map((x, n) => ({ ...x, name: `${n}.dcm` })))); }, cli: /two slices at the same position/ },
  { name: 'one slice only', zip: () => buildZip(entriesOf(ctSeries().slice(0, 1))), cli: /needs at least 2 slices/ },
  { name: 'mixed orientations', zip: () => { const f = ctSeries(); return buildZip(entriesOf(editSlice(f, 3, (ds) => (ds.ImageOrientationPatient = ['0', '1', '0', '1', '0', '0'])))); }, cli: /mixed orientations in one series/ },
  { name: 'mixed slice sizes', zip: () => { const f = ctSeries(); return buildZip(entriesOf(editSlice(f, 1, (ds) => (ds.Columns = 5)))); }, cli: /size 5x8 differs/ },
  { name: 'ImageOrientationPatient all zeros', zip: () => buildZip(entriesOf(editAll(ctSeries(), (ds) => (ds.ImageOrientationPatient = ['0', '0', '0', '0', '0', '0'])))), cli: /is not two orthogonal unit vectors/ },
  { name: 'ImagePositionPatient NaN', zip: () => buildZip(entriesOf(editAll(ctSeries(), (ds) => (ds.ImagePositionPatient = ['NaN', '0', '0'])))), cli: /no DICOM image slices found/ },
  { name: 'PixelSpacing missing', zip: () => buildZip(entriesOf(editAll(ctSeries(), (ds) => delete ds.PixelSpacing))), cli: /no valid PixelSpacing/ },
  { name: 'PixelSpacing zero', zip: () => buildZip(entriesOf(editAll(ctSeries(), (ds) => (ds.PixelSpacing = ['0', '0.8'])))), cli: /no valid PixelSpacing/ },
  { name: 'BitsAllocated 12', zip: () => buildZip(entriesOf(editAll(ctSeries(), (ds) => (ds.BitsAllocated = 12)))), cli: /BitsAllocated 12 is not supported/ },
  { name: 'SamplesPerPixel 3 (RGB)', zip: () => buildZip(entriesOf(editAll(ctSeries(), (ds) => (ds.SamplesPerPixel = 3)))), cli: /3 samples per pixel/ },
  { name: 'RescaleSlope NaN', zip: () => buildZip(entriesOf(editAll(ctSeries(), (ds) => (ds.RescaleSlope = 'NaN')))), cli: /RescaleSlope NaN .* not finite/ },
  { name: 'JPEG lossless transfer syntax', zip: () => buildZip(entriesOf(editAll(ctSeries(), () => undefined, '1.2.840.10008.1.2.4.70'))), cli: /compressed transfer syntax 1\.2\.840\.10008\.1\.2\.4\.70 is not supported/ },
  { name: 'JPEG 2000 transfer syntax', zip: () => buildZip(entriesOf(editAll(ctSeries(), () => undefined, '1.2.840.10008.1.2.4.90'))), cli: /compressed transfer syntax 1\.2\.840\.10008\.1\.2\.4\.90 is not supported/ },
  { name: 'RLE transfer syntax', zip: () => buildZip(entriesOf(editAll(ctSeries(), () => undefined, '1.2.840.10008.1.2.5'))), cli: /compressed transfer syntax 1\.2\.840\.10008\.1\.2\.5 is not supported/ },
  { name: 'a deflated-syntax slice inflating to 1.1 GiB', zip: () => buildZip([...entriesOf(ctSeries()), storedEntry('series/bomb.dcm', deflatedBomb(1100 * MiB))]), cli: /bomb\.dcm: a deflated DICOM dataset inflating past .* maxDecompressedBytes = 1024 MiB/ },
  { name: 'a deflated-syntax slice with a corrupt stream', zip: () => { const f = ctSeries(); return buildZip([...entriesOf(f), storedEntry('series/z.dcm', corruptDeflated(sliceAt(f, 0)))]); }, cli: /unreadable DICOM file/ },
  { name: 'sequences nested 100,000 deep', zip: () => buildZip([...entriesOf(ctSeries()), deflatedEntry('series/deep.dcm', nestedSequences(100_000))]), cli: /unreadable DICOM file/ },
  { name: 'an element length 4 GB past the end of the file', zip: () => buildZip([...entriesOf(ctSeries()), storedEntry('series/long.dcm', lengthPastTheEnd())]), cli: /unreadable DICOM file/ },
  { name: 'slices 1e5 mm apart (an extent of 400 m)', zip: () => buildZip(entriesOf(ctSeries([10, 8, 5], [[-0.8, 0, 0, 0], [0, -0.7, 0, 0], [0, 0, 1e5, 0], [0, 0, 0, 1]]))), cli: /maxExtentMm/ },
];

interface CliAnswer {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly timedOut: boolean;
}

const CLI_HANG_MS = 120_000;

/** `wbct segment` as a user runs it, killed (and reported as a hang) if it takes longer than CLI_HANG_MS. */
function runSegment(args: readonly string[]): Promise<CliAnswer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'segment', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let timedOut = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, CLI_HANG_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, timedOut });
    });
  });
}

/** The HTTP side: every archive is refused by name; DICOM content under image names is refused by content. */
const NOT_ZIP_UPLOADS = refused(415, /unsupported extension/);
const NOT_AN_IMAGE = refused(415);

function httpCases(): HostileCase[] {
  const slice = sliceAt(ctSeries(), 0).bytes;
  const valid = buildZip(entriesOf(ctSeries()));
  return [
    ...ZIP_CASES.map((c) => ({ name: `zip: ${c.name}`, fileName: 'series.zip', bytes: c.zip(), expect: { infer: NOT_ZIP_UPLOADS } })),
    { name: 'zip: valid series, to the other routes', fileName: 'series.zip', bytes: valid, expect: { datastore: NOT_ZIP_UPLOADS, label: NOT_ZIP_UPLOADS, session: NOT_ZIP_UPLOADS } },
    { name: 'a DICOM slice named .dcm', fileName: 'CT00001.dcm', bytes: slice, expect: everywhere(NOT_ZIP_UPLOADS) },
    { name: 'a DICOM slice named .nii', fileName: 'CT00001.nii', bytes: slice, expect: everywhere(NOT_AN_IMAGE) },
    { name: 'a DICOM slice named .nii.gz', fileName: 'CT00001.nii.gz', bytes: slice, expect: everywhere(NOT_AN_IMAGE) },
    { name: 'a DICOM slice named .nrrd', fileName: 'CT00001.nrrd', bytes: slice, expect: everywhere(NOT_AN_IMAGE) },
    { name: 'a series zip named .nii.gz', fileName: 'series.nii.gz', bytes: valid, expect: everywhere(NOT_AN_IMAGE) },
    { name: 'a series zip named .nrrd', fileName: 'series.nrrd', bytes: valid, expect: everywhere(NOT_AN_IMAGE) },
    { name: 'a deflated-syntax DICOM bomb named .nii.gz', fileName: 'bomb.nii.gz', bytes: deflatedBomb(64 * MiB), expect: everywhere(NOT_AN_IMAGE) },
    { name: 'a zip bomb named .nii.gz', fileName: 'bomb.nii.gz', bytes: buildZip([zerosEntry('x.nii', 2048 * MiB)]), expect: everywhere(NOT_AN_IMAGE) },
  ];
}

/** studies/ct.nii for the label route: any valid image will do, the DICOM uploads never get that far. */
const TARGET = niftiFile(
  {
    littleEndian: true,
    sizeofHdr: 348,
    dim: [3, 10, 8, 5, 1, 1, 1, 1],
    datatype: 4,
    bitpix: 16,
    pixdim: [1, 0.8, 0.7, 2.5, 0, 0, 0, 0],
    voxOffset: 352,
    sclSlope: 1,
    sclInter: 0,
    xyztUnits: 10,
    qformCode: 0,
    sformCode: 1,
    quatern: [0, 0, 0],
    qoffset: [0, 0, 0],
    srow: [SERIES_AFFINE[0], SERIES_AFFINE[1], SERIES_AFFINE[2]],
    magic: 'n+1',
  },
  int16Voxels(400, true),
);

describeWithRunner('hostile DICOM series: wbct segment x.zip', () => {
  let dir: string;
  beforeAll(() => (dir = tempRoot('wbct-hostile-dicom-cli-')));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(ZIP_CASES.map((c, n) => [c.name, c, n] as const))('%s', async (_title, c, n) => {
    const input = path.join(dir, `case${n}.zip`);
    fs.writeFileSync(input, c.zip());
    const output = path.join(dir, `case${n}.nii.gz`);
    const r = await runSegment([input, '-o', output, '--weights', TINY_MODEL, '--lowres', '--threads', '1']);
    fs.rmSync(input, { force: true });
    const message = r.stderr.split('\n').find((l) => l.startsWith('wbct segment:')) ?? '';
    const written = fs.existsSync(output);
    let outcome: CaseOutcome;
    if (r.timedOut) outcome = 'hang';
    else if (r.signal !== null || (r.code !== 0 && r.code !== 1)) outcome = 'crash';
    else if (c.cli === undefined) outcome = r.code === 0 && written ? 'accepted' : 'unclear';
    else if (r.code === 0) outcome = 'escalation';
    else outcome = c.cli.test(message) && !written ? 'refused' : 'unclear';
    recordCase({ area: 'dicom-cli', name: c.name, outcome, ...(r.code !== null ? { status: r.code } : {}), detail: (message || r.stderr.slice(-300)).slice(0, 500) });
    if (c.cli === undefined) {
      expect({ code: r.code, written, stderrTail: r.code === 0 ? '' : r.stderr.slice(-500) }).toEqual({ code: 0, written: true, stderrTail: '' });
    } else {
      expect({ code: r.code, signal: r.signal, written }).toEqual({ code: 1, signal: null, written: false });
      expect(message).toMatch(c.cli);
    }
  }, CLI_HANG_MS + 30_000);

  it('no zip-slip entry was written anywhere', () => {
    expect(fs.existsSync('/tmp/wbct-zip-slip')).toBe(false);
  });
});

describeWithRunner('hostile DICOM uploads (real server process)', () => {
  let bench: HostileUploadBench;
  const cases = httpCases();
  const runs = cases.flatMap((c) => UPLOAD_ENDPOINTS.filter((e) => c.expect[e] !== undefined).map((endpoint) => ({ endpoint, c, expectation: c.expect[endpoint]! })));

  beforeAll(async () => {
    bench = await HostileUploadBench.start('wbct-hostile-dicom-', TARGET);
  });

  afterAll(async () => {
    await bench?.stop();
  });

  it.each(runs.map((r) => [`${r.endpoint}: ${r.c.name}`, r] as const))('%s', async (_title, { endpoint, c, expectation }) => {
    const result = await bench.runCase('dicom', endpoint, c, expectation);
    expectCase(result, expectation);
  });

  it('the server never crashed, and the datastore holds exactly what it held', async () => {
    expect(bench.crashes).toEqual([]);
    expect(bench.acceptedImages.size + bench.acceptedLabelTags.size).toBe(0);
    expect(await bench.datastoreKeys()).toEqual(bench.expectedKeys());
    expect(bench.leftovers()).toEqual([]);
  });
});
