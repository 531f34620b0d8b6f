import * as fs from 'node:fs';
import * as path from 'node:path';
import { flipRasLps } from '../../src/core/volume';
import { writeDicomSeg } from '../../src/dicom/writeDicomSeg';
import { readDicomSeg } from '../../src/dicom/readDicomSeg';
import { BUNDLE_TERMINOLOGY } from '../../src/apps/totalseg/bundleTerminology';
import { craniumCt } from '../helpers/testSeries';
import { defined } from '../helpers/defined';
import { describeWithOracle, maxAbsDiffRows, ORACLE_DIR, SHARED_DIR } from '../helpers/oracle';
import { craniumCase, sharedLabelNames, type CraniumVariant } from './helpers/craniumSeries';
import { dciodvfyErrors, dciodvfyFindings, dcmdumpErrors, describeWithTools, run, SYSTEM_PYTHON } from './helpers/externalTools';
import { sampleOnGrid } from './helpers/gridCompare';
import { removeTempDirs } from './helpers/syntheticSeries';

const VARIANTS: CraniumVariant[] = ['axial', 'flipped-rows-columns', 'reversed-slices', 'plastimatch'];

describeWithOracle('DICOM SEG alignment (oracle cranium CT)', () => {
  afterAll(removeTempDirs);
  describeWithTools(['dciodvfy', 'dcmdump', 'plastimatch', 'pydicom'], 'CT series -> labels -> SEG -> pydicom', () => {
    it.each(VARIANTS)('%s: CT reads back as the NIfTI, SEG reads back with pydicom voxel for voxel', async (variant) => {
      const c = await craniumCase(variant);
      const nifti = await craniumCt(ORACLE_DIR);
      // The DICOM CT holds the NIfTI's HU at the same world positions.
      const niftiOnGrid = sampleOnGrid({ data: nifti.data, shape: nifti.shape, affineLps: flipRasLps(nifti.affineRas) }, { shape: c.volume.shape, affineLps: flipRasLps(c.volume.affineRas) });
      let hu = 0;
      for (let p = 0; p < niftiOnGrid.length; p++) if (c.volume.data[p] !== niftiOnGrid[p]) hu++;
      expect(hu).toBe(0);
      if (variant !== 'plastimatch') {
        const ctFile = path.join(c.dir, defined(fs.readdirSync(c.dir)[0], `a file in ${c.dir}`));
        expect(dciodvfyErrors(ctFile)).toEqual([]);
        expect(dcmdumpErrors(ctFile)).toEqual([]);
      }

      const segFile = path.join(path.dirname(c.dir), 'seg.dcm');
      const written = writeDicomSeg(c.labels, c.series, segFile, { labelNames: sharedLabelNames(), labelCodes: BUNDLE_TERMINOLOGY });
      expect(written.items.map((s) => [s.label, s.name])).toEqual([[1, 'spleen'], [5, 'liver']]);
      expect(dciodvfyFindings(segFile)).toEqual({ errors: [], codeWarnings: [] });
      expect(dcmdumpErrors(segFile)).toEqual([]);

      const raw = path.join(path.dirname(c.dir), 'seg_labels.raw');
      const json = path.join(path.dirname(c.dir), 'seg_labels.json');
      const py = run(SYSTEM_PYTHON, [path.join(__dirname, 'tools', 'seg_to_labelmap.py'), c.dir, segFile, path.join(SHARED_DIR, 'spec', 'labels.json'), raw, json]);
      expect(py.stderr).toBe('');
      expect(py.status).toBe(0);
      const meta = JSON.parse(fs.readFileSync(json, 'utf8')) as { sopInstanceUids: string[]; affineLps: number[][] };
      expect(meta.sopInstanceUids).toEqual(c.series.slices.map((s) => s.sopInstanceUid));
      const ours = flipRasLps(c.volume.affineRas);
      expect(maxAbsDiffRows(meta.affineLps, ours)).toBeLessThan(1e-4);
      const readBack = new Uint8Array(fs.readFileSync(raw));
      let differ = 0;
      for (let p = 0; p < readBack.length; p++) if (readBack[p] !== c.labels.data[p]) differ++;
      expect(readBack.length).toBe(c.labels.data.length);
      expect(differ).toBe(0);
      const ownReader = readDicomSeg(segFile, c.series, sharedLabelNames());
      expect(Buffer.from(ownReader.data).equals(Buffer.from(c.labels.data))).toBe(true);
      // And the SEG is the NIfTI's own label map at the same world positions.
      let differFromNifti = 0;
      for (let p = 0; p < readBack.length; p++) if (readBack[p] !== c.niftiLabelsOnGrid[p]) differFromNifti++;
      expect(differFromNifti).toBe(0);
    });
  });
});
