import * as fs from 'node:fs';
import * as path from 'node:path';
import { flipRasLps, type LabelVolume, type Volume } from '../../../src/core/volume';
import { readDicomSeries } from '../../../src/dicom/readDicomSeries';
import type { DicomSeriesInfo } from '../../../src/dicom/seriesInfo';
import { craniumCt, cropVolume, thresholdLabels, writeTestSeries, type SeriesVariant } from '../../helpers/testSeries';
import { ORACLE_DIR, SHARED_DIR } from '../../helpers/oracle';
import { run } from './externalTools';
import { uploadToOrthanc, type RunningOrthanc } from './orthanc';
import { sampleOnGrid } from './gridCompare';
import { tempDir } from './syntheticSeries';

/** Series variants of the oracle cranium: ours in three orientations, and one written by plastimatch (another writer). */
export type CraniumVariant = SeriesVariant | 'plastimatch';

export interface CraniumCase {
  readonly dir: string;
  readonly volume: Volume<Float32Array>;
  readonly series: DicomSeriesInfo;
  readonly labels: LabelVolume;
  /** The threshold labels of the NIfTI itself, sampled onto the series grid by world position. */
  readonly niftiLabelsOnGrid: Float64Array;
}

/** The bundle's label list from the shared spec (read on use, so suites without ../shared still load). */
export function sharedLabelNames(): Record<string, string> {
  return JSON.parse(fs.readFileSync(path.join(SHARED_DIR, 'spec', 'labels.json'), 'utf8'));
}

/** Writes the variant, reads it back with readDicomSeries and derives the threshold label map (bone 1, soft tissue 5). */
export async function craniumCase(variant: CraniumVariant): Promise<CraniumCase> {
  const dir = path.join(tempDir(`cranium-${variant}`), 'ct');
  const nifti = await craniumCt(ORACLE_DIR);
  if (variant === 'plastimatch') {
    const r = run('plastimatch', ['convert', '--input', path.join(ORACLE_DIR, 'cranium_ct.nii.gz'), '--output-dicom', dir]);
    if (r.status !== 0) throw new Error(`plastimatch convert failed: ${r.stderr}`);
  } else {
    writeTestSeries(nifti, variant, dir);
  }
  const { volume, series } = await readDicomSeries(dir);
  const grid = { shape: volume.shape, affineLps: flipRasLps(volume.affineRas) };
  const niftiLabels = thresholdLabels(nifti);
  const niftiLabelsOnGrid = sampleOnGrid({ data: niftiLabels.data, shape: nifti.shape, affineLps: flipRasLps(nifti.affineRas) }, grid);
  return { dir, volume, series, labels: thresholdLabels(volume), niftiLabelsOnGrid };
}

/** The oracle cranium cropped to 160 x 160 x 64 (the DICOMweb tests' PACS content), written as `variant` and uploaded; its folder. */
export async function uploadCroppedCranium(orthanc: RunningOrthanc, variant: SeriesVariant): Promise<string> {
  const dir = path.join(tempDir(`cranium-pacs-${variant}`), 'ct');
  writeTestSeries(cropVolume(await craniumCt(ORACLE_DIR), [48, 48, 24], [160, 160, 64]), variant, dir);
  await uploadToOrthanc(orthanc, fs.readdirSync(dir).map((f) => path.join(dir, f)));
  return dir;
}
