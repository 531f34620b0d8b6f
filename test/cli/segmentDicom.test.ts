import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readDicomSeg, readDicomSeries } from '../../src/dicom';
import { readImage } from '../../src/io';
import { BUNDLE_CHANNEL_NAMES } from '../../src/apps/totalseg/bundleLabels';
import { craniumCt, writeTestSeries } from '../helpers/testSeries';
import { FIXTURES_DIR, ORACLE_DIR, describeWithOracle } from '../helpers/oracle';
import { runWbct } from './cliHarness';

const tinyWeights = path.join(FIXTURES_DIR, 'model', 'segresnet105_tiny_seed1.pt');
const names = Object.fromEntries(BUNDLE_CHANNEL_NAMES.map((n, i) => [String(i), n]));

describeWithOracle('wbct segment on a DICOM CT series', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-cli-dicom-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a flipped-orientation series: NIfTI, DICOM SEG and RTSTRUCT outputs agree voxel for voxel', async () => {
    const seriesDir = path.join(dir, 'ct');
    writeTestSeries(await craniumCt(ORACLE_DIR), 'flipped-rows-columns', seriesDir);
    const common = ['--weights', tinyWeights, '--lowres', '--threads', '2'];
    const nii = path.join(dir, 'labels.nii.gz');
    const seg = path.join(dir, 'labels.seg.dcm');
    const rt = path.join(dir, 'labels.rtstruct.dcm');
    for (const [out, format] of [[nii, 'image'], [seg, 'dicom-seg'], [rt, 'rtstruct']] as const) {
      const r = await runWbct(['segment', seriesDir, '-o', out, '--format', format, ...common]);
      expect([format, r.code, r.stderr.split('\n').filter((l) => /error|wbct segment:/i.test(l))]).toEqual([format, 0, []]);
    }
    const { series, volume } = await readDicomSeries(seriesDir);
    const fromNifti = (await readImage(nii, { voxels: 'stored' })).volume;
    expect(fromNifti.shape).toEqual(volume.shape);
    const fromSeg = readDicomSeg(seg, series, names);
    let differing = 0;
    for (let i = 0; i < fromSeg.data.length; i++) if (fromSeg.data[i] !== fromNifti.data[i]) differing++;
    expect(differing).toBe(0);
    expect(new Set(fromSeg.data).size).toBeGreaterThan(1);
    expect(fs.statSync(rt).size).toBeGreaterThan(1000);
  }, 400_000);

  test('DICOM output from a NIfTI input is refused with a clear error and writes nothing', async () => {
    const out = path.join(dir, 'never.dcm');
    const r = await runWbct(['segment', path.join(ORACLE_DIR, 'cranium_ct.nii.gz'), '-o', out, '--format', 'dicom-seg', '--weights', tinyWeights, '--lowres']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/dicom-seg output references a DICOM series; give a DICOM folder or zip as input/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
