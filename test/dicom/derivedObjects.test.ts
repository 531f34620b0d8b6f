import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeVolume, mulMat4, type LabelVolume, type Mat4 } from '../../src/core/volume';
import { readDicomSeries } from '../../src/dicom/readDicomSeries';
import { writeCtSeries } from '../helpers/writeCtSeries';
import { buildDicomSeg, writeDicomSeg } from '../../src/dicom/writeDicomSeg';
import { buildRtStruct } from '../../src/dicom/writeRtStruct';
import { readDicomSeg } from '../../src/dicom/readDicomSeg';
import { labelColorRgb } from '../../src/core/labelColors';
import { SHARED_DIR, describeWithOracle } from '../helpers/oracle';
import { sharedLabelNames } from './helpers/craniumSeries';

const NAMES = { '3': 'kidney_left', '104': 'urinary_bladder' };
import { dciodvfyFindings, describeWithTools, run, SYSTEM_PYTHON } from './helpers/externalTools';
import { indexVolume, OBLIQUE_FREE_AFFINE, removeTempDirs, tempDir } from './helpers/syntheticSeries';

afterAll(removeTempDirs);

/** 7 x 5 pixels per frame: 35 bits, so packed 1-bit frames share bytes (PS3.5 8.1.1 packs them back to back). */
async function smallSeries(flips = false) {
  const affine: Mat4 = flips ? mulMat4(OBLIQUE_FREE_AFFINE, [[-1, 0, 0, 6], [0, -1, 0, 4], [0, 0, 1, 0], [0, 0, 0, 1]]) : OBLIQUE_FREE_AFFINE;
  const dir = path.join(tempDir('small'), 'ct');
  writeCtSeries(indexVolume([7, 5, 6], affine), dir);
  const { volume, series } = await readDicomSeries(dir);
  const labels = new Uint8Array(volume.data.length);
  volume.data.forEach((_, p) => {
    const [i, j, k] = [p % 7, Math.floor(p / 7) % 5, Math.floor(p / 35)];
    labels[p] = (i + j + k) % 3 === 0 ? 3 : i > 4 && k < 4 ? 104 : 0;
  });
  return { dir, volume, series, labels: makeVolume(labels, volume.shape, volume.affineRas) as LabelVolume };
}

describe('SEG and RTSTRUCT writers refuse what they cannot write faithfully', () => {
  it('label map off the series grid, empty label map, unnamed label', async () => {
    const { series, labels } = await smallSeries();
    const shifted = makeVolume(labels.data, labels.shape, mulMat4(labels.affineRas, [[1, 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]));
    expect(() => buildDicomSeg(shifted, series, { labelNames: NAMES })).toThrow(/not on the DICOM series' grid: label origin differs/);
    expect(() => buildRtStruct(shifted, series, { labelNames: NAMES })).toThrow(/not on the DICOM series' grid/);
    const empty = makeVolume(new Uint8Array(labels.data.length), labels.shape, labels.affineRas);
    expect(() => buildDicomSeg(empty, series, { labelNames: NAMES })).toThrow(/label map is empty/);
    expect(() => buildRtStruct(empty, series, { labelNames: NAMES })).toThrow(/label map is empty/);
    expect(() => buildDicomSeg(labels, series, { labelNames: { 3: 'x' } })).toThrow(/label 104 .* has no name/);
  });

  it('the same label gets the same colour in every object, neighbouring labels clearly different ones', () => {
    expect(labelColorRgb(5)).toEqual(labelColorRgb(5));
    const [a, b] = [labelColorRgb(5), labelColorRgb(6)];
    expect(Math.abs(a[0] - b[0]) + Math.abs(a[1] - b[1]) + Math.abs(a[2] - b[2])).toBeGreaterThan(60);
  });
});

describeWithOracle('small odd-sized series (labels.json from the shared spec)', () => {
  describeWithTools(['dciodvfy', 'pydicom'], 'SEG bit packing across frames on a tiny grid', () => {
    it.each([false, true])('flipped=%s: pydicom and readDicomSeg read the SEG back exactly; dciodvfy finds no error, no coding warning', async (flips) => {
      const { dir, series, labels } = await smallSeries(flips);
      const seg = path.join(path.dirname(dir), 'seg.dcm');
      const written = writeDicomSeg(labels, series, seg, { labelNames: sharedLabelNames() });
      expect(written.items.map((s) => s.name)).toEqual([sharedLabelNames()['3'], sharedLabelNames()['104']]);
      // These labels have no codes: the generic SNOMED CT coding must satisfy dciodvfy too.
      expect(dciodvfyFindings(seg)).toEqual({ errors: [], codeWarnings: [] });
      const raw = path.join(path.dirname(dir), 'seg.raw');
      const py = run(SYSTEM_PYTHON, [path.join(__dirname, 'tools', 'seg_to_labelmap.py'), dir, seg, path.join(SHARED_DIR, 'spec', 'labels.json'), raw, `${raw}.json`]);
      expect(py.stderr).toBe('');
      expect(Array.from(fs.readFileSync(raw))).toEqual(Array.from(labels.data));
      expect(Array.from(readDicomSeg(seg, series, sharedLabelNames()).data)).toEqual(Array.from(labels.data));
    });
  });
});
