import * as path from 'node:path';
import { flipRasLps } from '../../src/core/volume';
import { writeRtStruct } from '../../src/dicom/writeRtStruct';
import { describeWithOracle } from '../helpers/oracle';
import { craniumCase, sharedLabelNames, type CraniumVariant } from './helpers/craniumSeries';
import { dciodvfyErrors, dcmdumpErrors, describeWithTools, run } from './helpers/externalTools';
import { dice, readNrrdMask, sampleOnGrid } from './helpers/gridCompare';
import { removeTempDirs } from './helpers/syntheticSeries';

/** Series variant, hole encoding, and whether plastimatch is told to XOR the contours of a slice (default: OR). */
const CASES: [CraniumVariant, 'keyhole' | 'separate', boolean][] = [
  ['axial', 'keyhole', false],
  ['flipped-rows-columns', 'keyhole', false],
  ['plastimatch', 'keyhole', false],
  ['axial', 'separate', true],
];
const scores: string[] = [];
afterAll(() => scores.length && console.log(`RTSTRUCT Dice via plastimatch:\n${scores.join('\n')}`));

describeWithOracle('RTSTRUCT alignment (oracle cranium CT)', () => {
  afterAll(removeTempDirs);
  describeWithTools(['dciodvfy', 'dcmdump', 'plastimatch'], 'labels -> RTSTRUCT -> plastimatch rasterisation', () => {
    it.each(CASES)('%s series, %s holes, xor=%s: every structure rasterises back with Dice >= 0.95 and validates', async (variant, holes, xor) => {
      const c = await craniumCase(variant);
      const work = path.dirname(c.dir);
      const rtFile = path.join(work, 'rtstruct.dcm');
      const written = writeRtStruct(c.labels, c.series, rtFile, { labelNames: sharedLabelNames(), holes });
      expect(written.items.map((s) => [s.label, s.name])).toEqual([[1, 'spleen'], [5, 'liver']]);
      // dciodvfy needs ~16 s on this 10 MB structure set; the dataset layout does not depend on the orientation.
      if (variant === 'axial' && holes === 'keyhole') expect(dciodvfyErrors(rtFile)).toEqual([]);
      expect(dcmdumpErrors(rtFile)).toEqual([]);

      const out = path.join(work, 'plastimatch');
      // Keyhole polygons survive plastimatch's default OR of a slice's contours; separate hole contours need its XOR.
      const r = run('plastimatch', ['convert', ...(xor ? ['--xor-contours'] : []), '--input', rtFile, '--referenced-ct', c.dir, '--output-prefix', out, '--prefix-format', 'nrrd']);
      expect(r.status).toBe(0);
      const grid = { shape: c.volume.shape, affineLps: flipRasLps(c.volume.affineRas) };
      for (const { label, name } of written.items) {
        const mask = sampleOnGrid(readNrrdMask(path.join(out, `${name}.nrrd`)), grid);
        const score = dice(mask, 1, c.labels.data, label);
        expect(score).toBeGreaterThanOrEqual(0.95);
        scores.push(`${variant} ${holes} xor=${xor} ${name} ${score.toFixed(6)}`);
      }
    });
  });
});
