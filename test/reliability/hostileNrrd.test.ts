import * as zlib from 'node:zlib';
import { describeWithRunner } from '../server/harness/realRunner';
import {
  accepted,
  everywhere,
  expectCase,
  HostileUploadBench,
  NOT_AN_IMAGE,
  refused,
  UPLOAD_ENDPOINTS,
  type Expectation,
  type HostileCase,
  type UploadEndpoint,
} from './harness/hostileUploads';
import { int16Voxels, niftiFile, type NiftiFields } from './harness/niftiBuilder';
import { zerosGzip } from './harness/rawZip';

/**
 * Malformed and hostile NRRD files through the four upload routes of a real `wbct serve` process: missing and broken
 * header fields, unsupported encodings, detached data pointing anywhere on the server's disk, headers without an
 * end, truncations, gzip bombs. Same rules as the NIfTI suite: the catalogued 4xx with a clear detail, the process
 * alive and healthy after each case, nothing refused stored.
 */

const SHAPE = [16, 12, 8] as const;
const VOXELS = SHAPE[0] * SHAPE[1] * SHAPE[2];

/** The label target (studies/ct.nii): the grid every NRRD below is written on, in LPS. */
const TARGET: NiftiFields = {
  littleEndian: true,
  sizeofHdr: 348,
  dim: [3, ...SHAPE, 1, 1, 1, 1],
  datatype: 4,
  bitpix: 16,
  pixdim: [1, 0.75, 0.75, 1.5, 0, 0, 0, 0],
  voxOffset: 352,
  sclSlope: 1,
  sclInter: 0,
  xyztUnits: 10,
  qformCode: 1,
  sformCode: 1,
  quatern: [0, 0, 1],
  qoffset: [12.5, -30.25, 7],
  srow: [
    [-0.75, 0, 0, 12.5],
    [0, -0.75, 0, -30.25],
    [0, 0, 1.5, 7],
  ],
  magic: 'n+1',
};
const TARGET_FILE = niftiFile(TARGET, int16Voxels(VOXELS, true));

type Field = readonly [string, string];

const BASE_FIELDS: readonly Field[] = [
  ['type', 'short'],
  ['dimension', '3'],
  ['space', 'left-posterior-superior'],
  ['sizes', SHAPE.join(' ')],
  ['space directions', '(0.75,0,0) (0,0.75,0) (0,0,1.5)'],
  ['kinds', 'domain domain domain'],
  ['endian', 'little'],
  ['encoding', 'raw'],
  ['space origin', '(-12.5,30.25,7)'],
];

/** The base fields with `changes` applied: a value replaces the field, undefined removes it, new keys are appended. */
function fieldsWith(changes: Readonly<Record<string, string | undefined>>): Field[] {
  const out: Field[] = [];
  for (const [k, v] of BASE_FIELDS) {
    if (!(k in changes)) out.push([k, v]);
    else if (changes[k] !== undefined) out.push([k, changes[k]]);
  }
  for (const [k, v] of Object.entries(changes)) if (!BASE_FIELDS.some(([b]) => b === k) && v !== undefined) out.push([k, v]);
  return out;
}

function nrrdHeader(fields: readonly Field[], magic = 'NRRD0004', eol = '\n'): Buffer {
  const lines = [magic, '# Complete NRRD file format specification at:', '# http://teem.sourceforge.net/nrrd/format.html', ...fields.map(([k, v]) => `${k}: ${v}`)];
  return Buffer.from(`${lines.join(eol)}${eol}${eol}`, 'latin1');
}

const voxels = (le = true) => int16Voxels(VOXELS, le);
const nrrd = (changes: Readonly<Record<string, string | undefined>> = {}, data: Buffer = voxels(changes.endian !== 'big')) => Buffer.concat([nrrdHeader(fieldsWith(changes)), data]);
const gz = (b: Buffer) => zlib.gzipSync(b, { level: 1 });
const gzipped = (changes: Readonly<Record<string, string | undefined>> = {}, data: Buffer = voxels()) => Buffer.concat([nrrdHeader(fieldsWith({ encoding: 'gzip', ...changes })), gz(data)]);

const VALID = nrrd();
const TOLERATED = everywhere(accepted);
const READABLE_OFF_GRID: Partial<Record<UploadEndpoint, Expectation>> = { datastore: accepted, infer: accepted, session: accepted, label: refused(422) };
const TOO_MANY_VOXELS = refused(413, /maxInputVoxels/);
const TOO_MANY_BYTES = refused(413, /maxDecompressedBytes/);
/** A detached-data header must be refused without reading the file it names: no line of it may appear. */
const DETACHED = refused(415, /^(?![\s\S]*root:)/);

const file = (name: string, bytes: Buffer, expect: Partial<Record<UploadEndpoint, Expectation>>, fileName = 'case.nrrd'): HostileCase => ({ name, fileName, bytes, expect });

const headerCases: HostileCase[] = [
  file('valid raw (control)', VALID, TOLERATED),
  file('valid gzip (control)', gzipped(), TOLERATED),
  file('valid big-endian (control)', nrrd({ endian: 'big' }), TOLERATED),
  file('valid, CRLF line ends (control)', Buffer.concat([nrrdHeader(BASE_FIELDS, 'NRRD0004', '\r\n'), voxels()]), TOLERATED),
  file('valid NRRD0001 magic, spacings only (old style, origin 0: off the label grid)', Buffer.concat([nrrdHeader(fieldsWith({ space: undefined, 'space directions': undefined, 'space origin': undefined, spacings: '0.75 0.75 1.5' }), 'NRRD0001'), voxels()]), READABLE_OFF_GRID),
  file('valid, byte skip -1 (data at the end; control)', Buffer.concat([nrrdHeader(fieldsWith({ 'byte skip': '-1' })), Buffer.alloc(37, 9), voxels()]), TOLERATED),
  file('valid, byte skip 100 (control)', Buffer.concat([nrrdHeader(fieldsWith({ 'byte skip': '100' })), Buffer.alloc(100, 9), voxels()]), TOLERATED),
  file('valid uchar without endian (single-byte voxels need none)', nrrd({ type: 'uchar', endian: undefined }, Buffer.alloc(VOXELS, 3)), TOLERATED),
  file('valid, 100 bytes after the data', Buffer.concat([VALID, Buffer.alloc(100)]), TOLERATED),
  file('no magic', nrrd().subarray(9), everywhere(NOT_AN_IMAGE)),
  file('magic NRRX0004', Buffer.concat([nrrdHeader(BASE_FIELDS, 'NRRX0004'), voxels()]), everywhere(NOT_AN_IMAGE)),
  file('magic NRRD0009', Buffer.concat([nrrdHeader(BASE_FIELDS, 'NRRD0009'), voxels()]), everywhere(NOT_AN_IMAGE)),
  file('magic only, no newline', Buffer.from('NRRD0004'), everywhere(NOT_AN_IMAGE)),
  file('magic and a blank line only', Buffer.from('NRRD0004\n\n'), everywhere(NOT_AN_IMAGE)),
  file('an empty file', Buffer.alloc(0), everywhere(NOT_AN_IMAGE)),
  file('a 1-byte file', Buffer.from('N'), everywhere(NOT_AN_IMAGE)),
  file('sizes missing', nrrd({ sizes: undefined }), everywhere(NOT_AN_IMAGE)),
  file('type missing', nrrd({ type: undefined }), everywhere(NOT_AN_IMAGE)),
  file('encoding missing', nrrd({ encoding: undefined }), everywhere(NOT_AN_IMAGE)),
  file('dimension missing', nrrd({ dimension: undefined }), everywhere(NOT_AN_IMAGE)),
  file('dimension 2', nrrd({ dimension: '2', sizes: '16 96', 'space directions': '(0.75,0,0) (0,0.75,0)', kinds: 'domain domain' }), everywhere(NOT_AN_IMAGE)),
  file('dimension 4 (a 4D volume)', nrrd({ dimension: '4', sizes: '16 12 4 2', 'space directions': '(0.75,0,0) (0,0.75,0) (0,0,1.5) none', kinds: 'domain domain domain list' }), everywhere(NOT_AN_IMAGE)),
  file('dimension 0', nrrd({ dimension: '0' }), everywhere(NOT_AN_IMAGE)),
  file('dimension "three"', nrrd({ dimension: 'three' }), everywhere(NOT_AN_IMAGE)),
  file('dimension 3 with four sizes', nrrd({ sizes: '16 12 8 1' }), everywhere(NOT_AN_IMAGE)),
  file('type "complex"', nrrd({ type: 'complex' }), everywhere(NOT_AN_IMAGE)),
  file('type "long long" (int64)', nrrd({ type: 'long long' }, Buffer.alloc(VOXELS * 8)), everywhere(NOT_AN_IMAGE)),
  file('type "block"', nrrd({ type: 'block', 'block size': '4' }, Buffer.alloc(VOXELS * 4)), everywhere(NOT_AN_IMAGE)),
  file('type float, data sized for short', nrrd({ type: 'float' }), everywhere(NOT_AN_IMAGE)),
  file('type double, data sized for short', nrrd({ type: 'double' }), everywhere(NOT_AN_IMAGE)),
  file('encoding bzip2', nrrd({ encoding: 'bzip2' }, Buffer.from('BZh91AY&SY')), everywhere(NOT_AN_IMAGE)),
  file('encoding hex', nrrd({ encoding: 'hex' }, Buffer.from('00ff'.repeat(VOXELS))), everywhere(NOT_AN_IMAGE)),
  file('encoding ascii', nrrd({ encoding: 'ascii' }, Buffer.from('1 '.repeat(VOXELS))), everywhere(NOT_AN_IMAGE)),
  file('encoding "zstd"', nrrd({ encoding: 'zstd' }), everywhere(NOT_AN_IMAGE)),
  file('encoding gzip over raw data', nrrd({ encoding: 'gzip' }), everywhere(NOT_AN_IMAGE)),
  file('sizes negative', nrrd({ sizes: '16 -12 8' }), everywhere(NOT_AN_IMAGE)),
  file('sizes zero', nrrd({ sizes: '16 0 8' }), everywhere(NOT_AN_IMAGE)),
  file('sizes non-integer', nrrd({ sizes: '16 12.5 8' }), everywhere(NOT_AN_IMAGE)),
  file('sizes NaN', nrrd({ sizes: '16 NaN 8' }), everywhere(NOT_AN_IMAGE)),
  file('sizes with two values', nrrd({ sizes: '16 12' }), everywhere(NOT_AN_IMAGE)),
  file('sizes huge (1e5^3 voxels)', nrrd({ sizes: '100000 100000 100000' }), everywhere(TOO_MANY_VOXELS)),
  file('sizes 1e20 (past 2^53)', nrrd({ sizes: '1e20 1 1' }), everywhere(refused(413, undefined, [415]))),
  file('sizes 1024 1024 1200 short, no data', nrrd({ sizes: '1024 1024 1200' }, Buffer.alloc(0)), everywhere(TOO_MANY_VOXELS)),
  file('space directions with a NaN', nrrd({ 'space directions': '(0.75,0,0) (0,NaN,0) (0,0,1.5)' }), everywhere(NOT_AN_IMAGE)),
  file('space directions with an Inf', nrrd({ 'space directions': '(0.75,0,0) (0,Infinity,0) (0,0,1.5)' }), everywhere(NOT_AN_IMAGE)),
  file('space directions "none" for a domain axis', nrrd({ 'space directions': '(0.75,0,0) none (0,0,1.5)' }), everywhere(NOT_AN_IMAGE)),
  file('space directions with a zero vector', nrrd({ 'space directions': '(0.75,0,0) (0,0,0) (0,0,1.5)' }), everywhere(NOT_AN_IMAGE)),
  file('space directions with two vectors', nrrd({ 'space directions': '(0.75,0,0) (0,0.75,0)' }), everywhere(NOT_AN_IMAGE)),
  file('space directions with a 2-vector', nrrd({ 'space directions': '(0.75,0) (0,0.75,0) (0,0,1.5)' }), everywhere(NOT_AN_IMAGE)),
  file('space directions as words', nrrd({ 'space directions': 'left right up' }), everywhere(NOT_AN_IMAGE)),
  // Three non-zero vectors in one plane: no volume, like a singular NIfTI sform (which the NIfTI reader refuses).
  file('space directions coplanar (a singular grid)', nrrd({ 'space directions': '(0.75,0,0) (1.5,0,0) (0,0,1.5)' }), everywhere(NOT_AN_IMAGE)),
  file('space without space directions', nrrd({ 'space directions': undefined }), everywhere(NOT_AN_IMAGE)),
  file('no space and no spacings', nrrd({ space: undefined, 'space directions': undefined, 'space origin': undefined }), everywhere(NOT_AN_IMAGE)),
  file('space dimension without space directions', nrrd({ space: undefined, 'space directions': undefined, 'space dimension': '3' }), everywhere(NOT_AN_IMAGE)),
  file('spacings with a zero', nrrd({ space: undefined, 'space directions': undefined, 'space origin': undefined, spacings: '0.75 0 1.5' }), everywhere(NOT_AN_IMAGE)),
  file('spacings NaN', nrrd({ space: undefined, 'space directions': undefined, 'space origin': undefined, spacings: 'nan nan nan' }), everywhere(NOT_AN_IMAGE)),
  file('space unknown ("scanner-xyz")', nrrd({ space: 'scanner-xyz' }), everywhere(NOT_AN_IMAGE)),
  file('space origin with two values', nrrd({ 'space origin': '(1,2)' }), everywhere(NOT_AN_IMAGE)),
  file('space origin NaN', nrrd({ 'space origin': '(NaN,0,0)' }), everywhere(NOT_AN_IMAGE)),
  file('space origin as text', nrrd({ 'space origin': 'abc' }), everywhere(NOT_AN_IMAGE)),
  file('space origin with an Inf', nrrd({ 'space origin': '(0,-Infinity,0)' }), everywhere(NOT_AN_IMAGE)),
  file('detached data: data file ../../etc/passwd', nrrd({ 'data file': '../../etc/passwd' }, Buffer.alloc(0)), everywhere(DETACHED)),
  file('detached data: datafile /etc/passwd', nrrd({ datafile: '/etc/passwd' }, Buffer.alloc(0)), everywhere(DETACHED)),
  file('detached data: data file LIST with /etc/passwd', Buffer.from(`${nrrdHeader(fieldsWith({})).toString('latin1').trimEnd()}\ndata file: LIST\n/etc/passwd\n\n`, 'latin1'), everywhere(DETACHED)),
  file('detached data: data file with a %d pattern', nrrd({ 'data file': '/proc/self/fd/%d 0 9 1' }, Buffer.alloc(0)), everywhere(DETACHED)),
  file('line skip 2', nrrd({ 'line skip': '2' }), everywhere(NOT_AN_IMAGE)),
  file('byte skip -1 with too little data', nrrd({ 'byte skip': '-1' }, voxels().subarray(0, 1000)), everywhere(NOT_AN_IMAGE)),
  file('byte skip -1 with gzip encoding', gzipped({ 'byte skip': '-1' }), everywhere(NOT_AN_IMAGE)),
  file('byte skip -2', nrrd({ 'byte skip': '-2' }), everywhere(NOT_AN_IMAGE)),
  file('byte skip "abc"', nrrd({ 'byte skip': 'abc' }), everywhere(NOT_AN_IMAGE)),
  file('byte skip 5000 with too little data', nrrd({ 'byte skip': '5000' }), everywhere(NOT_AN_IMAGE)),
  file('byte skip 2e9 (past maxDecompressedBytes)', nrrd({ 'byte skip': '2000000000' }), everywhere(TOO_MANY_BYTES)),
  // The NRRD format requires endian for multi-byte types with raw and gzip encodings; guessing reads garbage.
  file('endian missing for short', nrrd({ endian: undefined }), everywhere(NOT_AN_IMAGE)),
  file('endian "middle"', nrrd({ endian: 'middle' }), everywhere(NOT_AN_IMAGE)),
  file('raw data truncated by one byte', VALID.subarray(0, VALID.length - 1), everywhere(NOT_AN_IMAGE)),
  file('raw data absent', nrrdHeader(BASE_FIELDS), everywhere(NOT_AN_IMAGE)),
  file('raw data followed by 10 MB', Buffer.concat([VALID, Buffer.alloc(10 << 20)]), everywhere(NOT_AN_IMAGE)),
  file('header of NUL bytes after the magic', Buffer.concat([Buffer.from('NRRD0004\n'), Buffer.alloc(2000)]), everywhere(NOT_AN_IMAGE)),
  file('header of binary garbage after the magic', Buffer.concat([Buffer.from('NRRD0004\n'), Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 151 + 7) % 256))]), everywhere(NOT_AN_IMAGE)),
  file('header without an end: 1.2 MB of comment lines', Buffer.from(`NRRD0004\n${'# a comment line that goes on\n'.repeat(42_000)}type: short\n`, 'latin1'), everywhere(NOT_AN_IMAGE)),
  file('header without an end: one 2 MB line', Buffer.from(`NRRD0004\ntype: ${'x'.repeat(2 << 20)}`, 'latin1'), everywhere(NOT_AN_IMAGE)),
  file('valid fields after 1.1 MB of comments (the end past the header cap)', Buffer.concat([Buffer.from(`NRRD0004\n${'# padding padding padding padding\n'.repeat(34_000)}`), nrrdHeader(BASE_FIELDS).subarray(9), voxels()]), everywhere(NOT_AN_IMAGE)),
  ...[0, 4, 8, 9, 40, Math.floor(nrrdHeader(BASE_FIELDS).length / 2), nrrdHeader(BASE_FIELDS).length - 1, nrrdHeader(BASE_FIELDS).length + 100].map((n) =>
    file(`truncated at byte ${n} of ${VALID.length}`, VALID.subarray(0, n), everywhere(NOT_AN_IMAGE)),
  ),
  file('a NIfTI file named .nrrd', TARGET_FILE, everywhere(NOT_AN_IMAGE)),
  file('a text file named .nrrd', Buffer.from('just some text\n'.repeat(100)), everywhere(NOT_AN_IMAGE)),
  file('a gzip file named .nrrd', gz(VALID), everywhere(NOT_AN_IMAGE)),
];

const GZ_HEADER = nrrdHeader(fieldsWith({ encoding: 'gzip' }));
const GZ_DATA = gz(voxels());

const gzipCases: HostileCase[] = [
  file('gzip data truncated', Buffer.concat([GZ_HEADER, GZ_DATA.subarray(0, GZ_DATA.length >> 1)]), everywhere(NOT_AN_IMAGE)),
  file('gzip data without its trailer', Buffer.concat([GZ_HEADER, GZ_DATA.subarray(0, GZ_DATA.length - 8)]), everywhere(NOT_AN_IMAGE)),
  file('gzip data with a corrupt CRC', Buffer.concat([GZ_HEADER, (() => { const b = Buffer.from(GZ_DATA); const crc = b.length - 8; b[crc] = b[crc]! ^ 0xff; return b; })()]), everywhere(NOT_AN_IMAGE)),
  file('gzip data of too few voxels', Buffer.concat([GZ_HEADER, gz(voxels().subarray(0, 500))]), everywhere(NOT_AN_IMAGE)),
  file('gzip data followed by raw garbage', Buffer.concat([GZ_HEADER, GZ_DATA, Buffer.from('trailing garbage')]), everywhere(NOT_AN_IMAGE)),
  file('gzip data of another format (a bzip2 magic)', Buffer.concat([GZ_HEADER, Buffer.from('BZh91AY&SY'), Buffer.alloc(100)]), everywhere(NOT_AN_IMAGE)),
  file('gzip bomb: 1024 x 1024 x 1200 uchar declared, about 1.2 MB of gzip', Buffer.concat([nrrdHeader(fieldsWith({ encoding: 'gzip', type: 'uchar', sizes: '1024 1024 1200' })), zerosGzip(1024 * 1024 * 1200)]), everywhere(TOO_MANY_VOXELS)),
  // 3 KB declared, 1.1 GB in the stream: refused once it passes what the header declares (415) or the limit (413).
  file('gzip bomb: a valid 16 x 12 x 8 header, then 1.1 GB of zeros', Buffer.concat([GZ_HEADER, zerosGzip(1100 << 20)]), everywhere(refused(415, undefined, [413]))),
  file('gzip data of 10 MB more than declared', Buffer.concat([GZ_HEADER, gz(Buffer.concat([voxels(), Buffer.alloc(10 << 20)]))]), everywhere(NOT_AN_IMAGE)),
];

const offGridLabels: HostileCase[] = [
  ['another shape', { sizes: '16 12 7' }, voxels().subarray(0, 16 * 12 * 7 * 2)],
  ['other spacing', { 'space directions': '(0.8,0,0) (0,0.75,0) (0,0,1.5)' }, voxels()],
  ['other origin', { 'space origin': '(-11.5,30.25,7)' }, voxels()],
  ['other direction', { 'space directions': '(-0.75,0,0) (0,0.75,0) (0,0,1.5)' }, voxels()],
].map(([what, changes, data]) => file(`label off the image grid: ${what as string}`, nrrd(changes as Record<string, string>, data as Buffer), { label: refused(422, /does not match its image/) }, 'label.nrrd'));

const uint8Label = nrrd({ type: 'unsigned char', endian: undefined }, Buffer.from(Array.from({ length: VOXELS }, (_, p) => p % 5)));

const CASES: readonly HostileCase[] = [
  ...headerCases,
  ...gzipCases,
  ...offGridLabels,
  file('label: uchar on the image grid (control)', uint8Label, { label: accepted }, 'label.nrrd'),
  file('label: .seg.nrrd on the image grid (control)', uint8Label, { label: accepted }, 'Segmentation.seg.nrrd'),
  file('geometry: 4 x 4 x 4 voxels of 5000 mm', nrrd({ sizes: '4 4 4', 'space directions': '(5000,0,0) (0,5000,0) (0,0,5000)' }, Buffer.alloc(128)), { infer: refused(422, /maxExtentMm/) }),
  file('geometry: 4 x 4 x 4 voxels of 300 mm', nrrd({ sizes: '4 4 4', 'space directions': '(300,0,0) (0,300,0) (0,0,300)' }, Buffer.alloc(128)), { infer: refused(422, /maxUpsampling/) }),
  file('geometry: 4 x 4 x 4 voxels of 1e30 mm', nrrd({ sizes: '4 4 4', 'space directions': '(1e30,0,0) (0,1e30,0) (0,0,1e30)' }, Buffer.alloc(128)), { infer: refused(422, /maxExtentMm/) }),
];

const RUNS = CASES.flatMap((c) => UPLOAD_ENDPOINTS.filter((e) => c.expect[e] !== undefined).map((endpoint) => ({ endpoint, c, expectation: c.expect[endpoint]! })));

describeWithRunner('hostile NRRD uploads (real server process)', () => {
  let bench: HostileUploadBench;

  beforeAll(async () => {
    bench = await HostileUploadBench.start('wbct-hostile-nrrd-', TARGET_FILE);
  });

  afterAll(async () => {
    await bench?.stop();
  });

  it.each(RUNS.map((r) => [`${r.endpoint}: ${r.c.name}`, r] as const))('%s', async (_title, { endpoint, c, expectation }) => {
    const result = await bench.runCase('nrrd', endpoint, c, expectation);
    expectCase(result, expectation);
  });

  it('the server never crashed, and the datastore holds exactly what it held plus the accepted uploads', async () => {
    expect(bench.crashes).toEqual([]);
    expect(await bench.datastoreKeys()).toEqual(bench.expectedKeys());
    expect(bench.leftovers()).toEqual([]);
  });
});
