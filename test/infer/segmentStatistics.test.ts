import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { makeVolume } from '../../src/core/volume';
import { readDicomSeries } from '../../src/dicom';
import { ModelPool } from '../../src/infer/modelPool';
import { segmentFile } from '../../src/infer/segmentFile';
import { readImage } from '../../src/io';
import { readStoredImage } from '../../src/io/readStoredImage';
import { previewPng } from '../../src/report/previewImage';
import { structureStatistics } from '../../src/report/structureStatistics';
import { wholeBodyRecipe } from '../../src/apps/totalseg/bundleRecipe';
import { writeCtSeries } from '../helpers/writeCtSeries';
import { TINY_MODEL } from '../server/harness/realRunner';
import { writeScaledInt16Nifti } from '../helpers/scaledNifti';
import { BODY_SCALING, syntheticBodyCt } from '../helpers/syntheticBodyCt';

/** The tiny network (random weights) on a small synthetic scan: labels are noise-like, but there are some. */
describe('segmentFile with statistics and a preview (tiny network, lowres recipe)', () => {
  let dir: string;
  let pool: ModelPool;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-seg-stats-'));
    pool = new ModelPool({ threads: 2, engine: 'onnxruntime' });
  });
  afterAll(async () => {
    await pool.clear();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const recipe = wholeBodyRecipe('lowres');

  test('a scaled int16 NIfTI: the report equals structureStatistics over the written labels and the input', async () => {
    const input = path.join(dir, 'ct.nii.gz');
    await writeScaledInt16Nifti(input, syntheticBodyCt(), BODY_SCALING.slope, BODY_SCALING.inter);
    const outputPath = path.join(dir, 'labels.nii.gz');
    const previewPath = path.join(dir, 'preview.png');
    const result = await segmentFile({ inputPath: input, outputPath, recipe, modelPath: TINY_MODEL, statistics: true, previewPath }, pool);

    const labels = (await readImage(outputPath, { voxels: 'stored' })).volume;
    const ct = await readStoredImage(input);
    expect(ct.scaling).toEqual(BODY_SCALING);
    expect(result.statistics).toEqual(structureStatistics(labels, ct, recipe.labelNames));
    const present = Object.values(result.statistics ?? {});
    expect(present.length).toBeGreaterThan(0);
    for (const s of present) expect(s.voxels).toBe(result.labelCounts[s.label]);
    expect(present.map((s) => s.label)).toEqual(result.labelCounts.flatMap((n, l) => (l > 0 && n > 0 ? [l] : [])));
    expect(result.latencies.post).toBeGreaterThan(0);

    expect(PNG.sync.read(fs.readFileSync(previewPath)).data).toEqual(PNG.sync.read(previewPng(labels, ct)).data);
  });

  test('a DICOM series: the same, over the series read as HU', async () => {
    const stored = syntheticBodyCt();
    const hu = Float32Array.from(stored.data, (v) => v * BODY_SCALING.slope + BODY_SCALING.inter);
    const series = path.join(dir, 'series');
    writeCtSeries(makeVolume(hu, stored.shape, stored.affineRas), series);
    const outputPath = path.join(dir, 'dicom-labels.nii.gz');
    const result = await segmentFile({ inputPath: series, outputPath, recipe, modelPath: TINY_MODEL, statistics: true }, pool);
    const labels = (await readImage(outputPath, { voxels: 'stored' })).volume;
    const { volume } = await readDicomSeries(series);
    // The label file's sform holds the series' geometry in float32; the statistics are on the series' own grid.
    const onSeriesGrid = makeVolume(labels.data, labels.shape, volume.affineRas);
    expect(result.statistics).toEqual(structureStatistics(onSeriesGrid, { volume }, recipe.labelNames));
    expect(Object.keys(result.statistics ?? {}).length).toBeGreaterThan(0);
  });

  test('without the options there is no report and no preview', async () => {
    const input = path.join(dir, 'ct.nii.gz');
    const result = await segmentFile({ inputPath: input, outputPath: path.join(dir, 'plain.nii.gz'), recipe, modelPath: TINY_MODEL }, pool);
    expect(result.statistics).toBeUndefined();
    expect('statistics' in result).toBe(false);
  });
});
