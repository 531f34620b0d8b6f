import * as zlib from 'node:zlib';
import { describeWithRunner } from '../server/harness/realRunner';
import { accepted, everywhere, expectCase, HostileUploadBench, refused, UPLOAD_ENDPOINTS, type HostileCase } from './harness/hostileUploads';
import { int16Voxels, niftiFile, niftiHeader, type NiftiFields } from './harness/niftiBuilder';
import { zerosGzip } from './harness/rawZip';

/**
 * The read and geometry limits of a `wbct serve` started with small values, so that every limit is reached by a
 * small, valid file and each bomb stays cheap: each flag must reach the server, be enforced on every upload route
 * (input voxels, decompressed bytes) or before the infer queue (extent, resampled voxels, upsampling), and name
 * itself in the refusal; files just within the limits must pass.
 */

const LIMITS = {
  maxInputVoxels: 20_000,
  maxDecompressedMb: 1,
  maxExtentMm: 400,
  maxResampledVoxels: 50_000,
  maxUpsampling: 8,
};
const ARGS = [
  '--max-input-voxels', String(LIMITS.maxInputVoxels),
  '--max-decompressed-mb', String(LIMITS.maxDecompressedMb),
  '--max-extent-mm', String(LIMITS.maxExtentMm),
  '--max-resampled-voxels', String(LIMITS.maxResampledVoxels),
  '--max-upsampling', String(LIMITS.maxUpsampling),
];

function grid(shape: readonly [number, number, number], spacing: number, dtype: { code: number; bitpix: number } = { code: 4, bitpix: 16 }): NiftiFields {
  return {
    littleEndian: true,
    sizeofHdr: 348,
    dim: [3, ...shape, 1, 1, 1, 1],
    datatype: dtype.code,
    bitpix: dtype.bitpix,
    pixdim: [1, spacing, spacing, spacing, 0, 0, 0, 0],
    voxOffset: 352,
    sclSlope: 1,
    sclInter: 0,
    xyztUnits: 10,
    qformCode: 0,
    sformCode: 1,
    quatern: [0, 0, 0],
    qoffset: [0, 0, 0],
    srow: [
      [spacing, 0, 0, 0],
      [0, spacing, 0, 0],
      [0, 0, spacing, 0],
    ],
    magic: 'n+1',
  };
}

const count = (s: readonly [number, number, number]) => s[0] * s[1] * s[2];
const nii = (shape: readonly [number, number, number], spacing: number) => niftiFile(grid(shape, spacing), int16Voxels(count(shape), true));
const gz = (b: Buffer) => zlib.gzipSync(b, { level: 1 });

function nrrd(shape: readonly [number, number, number], spacing: number, extra: readonly string[] = [], data: Buffer = int16Voxels(count(shape), true)): Buffer {
  const header = [
    'NRRD0004',
    'type: short',
    'dimension: 3',
    // RAS, like the NIfTI files' sform: the same grid, so the label control lies on the target's.
    'space: right-anterior-superior',
    `sizes: ${shape.join(' ')}`,
    `space directions: (${spacing},0,0) (0,${spacing},0) (0,0,${spacing})`,
    'kinds: domain domain domain',
    'endian: little',
    'encoding: raw',
    'space origin: (0,0,0)',
    ...extra,
    '',
    '',
  ].join('\n');
  return Buffer.concat([Buffer.from(header, 'latin1'), data]);
}

const TARGET = nii([16, 12, 8], 1);
const VOXELS = refused(413, /maxInputVoxels = 20000 voxels \(wbct serve --max-input-voxels\)/);
const BYTES = refused(413, /maxDecompressedBytes = 1 MiB \(wbct serve --max-decompressed-mb\)/);
const EXTENT = refused(422, /maxExtentMm = 400 mm \(wbct serve --max-extent-mm\)/);
const RESAMPLED = refused(422, /maxResampledVoxels = 50000 voxels \(wbct serve --max-resampled-voxels\)/);
const UPSAMPLING = refused(422, /maxUpsampling = 8 x \(wbct serve --max-upsampling\)/);

interface LimitCase extends HostileCase {
  readonly area: 'nifti' | 'nrrd';
}

const c = (area: 'nifti' | 'nrrd', name: string, fileName: string, bytes: Buffer, expect: HostileCase['expect']): LimitCase => ({ area, name, fileName, bytes, expect });

const CASES: readonly LimitCase[] = [
  c('nifti', 'valid 16 x 12 x 8 at 1 mm (control)', 'ok.nii', TARGET, everywhere(accepted)),
  c('nifti', '27^3 = 19683 voxels, just within maxInputVoxels (control)', 'within.nii.gz', gz(nii([27, 27, 27], 1)), { datastore: accepted, infer: accepted, session: accepted }),
  c('nifti', '30^3 = 27000 voxels > maxInputVoxels', 'over.nii', nii([30, 30, 30], 1), everywhere(VOXELS)),
  c('nifti', '30^3 = 27000 voxels > maxInputVoxels, gzipped', 'over.nii.gz', gz(nii([30, 30, 30], 1)), everywhere(VOXELS)),
  c('nifti', '1024 x 1024 x 1200 uint8 declared in about 1.2 MB of gzip', 'bomb.nii.gz', zerosGzip(352 + 1024 * 1024 * 1200, niftiHeader(grid([1024, 1024, 1200], 1, { code: 2, bitpix: 8 }))), everywhere(VOXELS)),
  c('nifti', 'a valid 16 x 12 x 8 header, then 64 MB of zeros in the gzip stream', 'tail.nii.gz', zerosGzip(64 << 20, TARGET), everywhere(refused(415, undefined, [413]))),
  c('nifti', 'vox_offset 2 MiB (voxels past maxDecompressedBytes)', 'offset.nii.gz', gz(niftiFile({ ...grid([16, 12, 8], 1), voxOffset: 2 << 20 }, int16Voxels(1536, true), 2 << 20)), everywhere(BYTES)),
  c('nifti', '16 x 12 x 8 voxels of 30 mm (480 mm > maxExtentMm)', 'extent.nii', nii([16, 12, 8], 30), { infer: EXTENT }),
  c('nifti', '20^3 voxels of 19 mm (127^3 resampled > maxResampledVoxels)', 'resampled.nii', nii([20, 20, 20], 19), { infer: RESAMPLED }),
  c('nifti', '10^3 voxels of 7 mm (14x upsampling > maxUpsampling)', 'upsampled.nii', nii([10, 10, 10], 7), { infer: UPSAMPLING }),
  c('nifti', '10^3 voxels of 5.5 mm (within every geometry limit; control)', 'geometry-ok.nii', nii([10, 10, 10], 5.5), { infer: accepted }),
  c('nrrd', 'valid 16 x 12 x 8 at 1 mm (control)', 'ok.nrrd', nrrd([16, 12, 8], 1), everywhere(accepted)),
  c('nrrd', '30^3 = 27000 voxels > maxInputVoxels', 'over.nrrd', nrrd([30, 30, 30], 1), everywhere(VOXELS)),
  c('nrrd', 'byte skip 2 MiB (data past maxDecompressedBytes)', 'skip.nrrd', nrrd([16, 12, 8], 1, ['byte skip: 2097152'], Buffer.concat([Buffer.alloc(2 << 20), int16Voxels(1536, true)])), everywhere(BYTES)),
  c('nrrd', 'gzip: 1024 x 1024 x 1200 declared in about 1.2 MB', 'bomb.nrrd', Buffer.concat([Buffer.from('NRRD0004\ntype: uchar\ndimension: 3\nspace: left-posterior-superior\nsizes: 1024 1024 1200\nspace directions: (1,0,0) (0,1,0) (0,0,1)\nkinds: domain domain domain\nencoding: gzip\nspace origin: (0,0,0)\n\n', 'latin1'), zerosGzip(1024 * 1024 * 1200)]), everywhere(VOXELS)),
  c('nrrd', '16 x 12 x 8 voxels of 30 mm (480 mm > maxExtentMm)', 'extent.nrrd', nrrd([16, 12, 8], 30), { infer: EXTENT }),
  c('nrrd', '20^3 voxels of 19 mm (> maxResampledVoxels)', 'resampled.nrrd', nrrd([20, 20, 20], 19), { infer: RESAMPLED }),
  c('nrrd', '10^3 voxels of 7 mm (> maxUpsampling)', 'upsampled.nrrd', nrrd([10, 10, 10], 7), { infer: UPSAMPLING }),
];

const RUNS = CASES.flatMap((cs) => UPLOAD_ENDPOINTS.filter((e) => cs.expect[e] !== undefined).map((endpoint) => ({ endpoint, c: cs, expectation: cs.expect[endpoint]! })));

describeWithRunner('image limits of a server started with small limit flags (real server process)', () => {
  let bench: HostileUploadBench;

  beforeAll(async () => {
    bench = await HostileUploadBench.start('wbct-hostile-limits-', TARGET, ARGS);
  });

  afterAll(async () => {
    await bench?.stop();
  });

  it.each(RUNS.map((r) => [`${r.c.area} ${r.endpoint}: ${r.c.name}`, r] as const))('%s', async (_title, { endpoint, c: cs, expectation }) => {
    const result = await bench.runCase(cs.area, endpoint, { ...cs, name: `limits: ${cs.name}` }, expectation);
    expectCase(result, expectation);
  });

  it('the server never crashed, and the datastore holds exactly what it held plus the accepted uploads', async () => {
    expect(bench.crashes).toEqual([]);
    expect(await bench.datastoreKeys()).toEqual(bench.expectedKeys());
    expect(bench.leftovers()).toEqual([]);
  });
});
