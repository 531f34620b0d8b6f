import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUNDLE_CHANNEL_NAMES } from '../../src/apps/totalseg/bundleLabels';
import { wholeBodyRecipe } from '../../src/apps/totalseg/bundleRecipe';
import { BUNDLE_TERMINOLOGY } from '../../src/apps/totalseg/bundleTerminology';
import type { CodedConcept, SegmentCoding } from '../../src/core/codedConcept';
import { makeVolume, type LabelVolume } from '../../src/core/volume';
import { readDicomSeg } from '../../src/dicom/readDicomSeg';
import { readDicomSeries } from '../../src/dicom/readDicomSeries';
import { GENERIC_SEGMENT_CODING } from '../../src/dicom/segmentCoding';
import { writeDicomSeg } from '../../src/dicom/writeDicomSeg';
import { ModelPool } from '../../src/infer/modelPool';
import { segmentFile } from '../../src/infer/segmentFile';
import { craniumCt, cropVolume, writeTestSeries } from '../helpers/testSeries';
import { describeWithOracle, FIXTURES_DIR, ORACLE_DIR } from '../helpers/oracle';
import { writeCtSeries } from '../helpers/writeCtSeries';
import { dciodvfyFindings, describeWithTools, run, SYSTEM_PYTHON } from './helpers/externalTools';
import { indexVolume, OBLIQUE_FREE_AFFINE, removeTempDirs, tempDir } from './helpers/syntheticSeries';

afterAll(removeTempDirs);

const STRUCTURES = BUNDLE_CHANNEL_NAMES.slice(1);
const BUNDLE_NAMES = Object.fromEntries(BUNDLE_CHANNEL_NAMES.map((name, i) => [String(i), name]));
const SIDES = { Left: '7771000', Right: '24028007' } as const;

/** SNOMED CT identifiers end in a Verhoeff check digit (SNOMED CT TIG 6.7), so a mistyped digit shows. */
function verhoeffValid(id: string): boolean {
  const d = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6], [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1], [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]];
  const p = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2], [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1], [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]];
  let c = 0;
  [...id].reverse().forEach((digit, i) => (c = d[c]![p[i % 8]![Number(digit)]!]!));
  return c === 0;
}

/** A core SNOMED CT concept id: 6-18 digits, partition "00" (concept, short format), valid check digit. */
const isSctConcept = (c: CodedConcept) => c.scheme === 'SCT' && /^[1-9]\d{5,17}$/.test(c.code) && c.code.slice(-3, -1) === '00' && verhoeffValid(c.code);

/** The side a bundle name states (`kidney_left`, `rib_right_3`), if any. */
const sideOf = (name: string) => (/_left(_|$)/.test(name) ? 'Left' : /_right(_|$)/.test(name) ? 'Right' : undefined);

const triple = (c: CodedConcept) => [c.scheme, c.code, c.meaning];
/** A segment as seg_segment_codes.py reports it. */
const expectedSegment = (number: number, label: string, coding: SegmentCoding) => ({
  number,
  label,
  category: triple(coding.category),
  type: triple(coding.type),
  modifiers: coding.modifier ? [triple(coding.modifier)] : [],
});

function pydicomSegments(segFile: string): unknown {
  const py = run(SYSTEM_PYTHON, [path.join(__dirname, 'tools', 'seg_segment_codes.py'), segFile]);
  expect(py.stderr).toBe('');
  return JSON.parse(py.stdout);
}

describe("the bundle's SNOMED CT table (TotalSegmentator's mapping)", () => {
  it('has exactly the 104 structures, each with SNOMED CT category and type codes', () => {
    expect(Object.keys(BUNDLE_TERMINOLOGY)).toEqual(STRUCTURES);
    expect(STRUCTURES).toHaveLength(104);
    const bad = STRUCTURES.filter((name) => {
      const c = BUNDLE_TERMINOLOGY[name]!;
      return ![c.category, c.type, ...(c.modifier ? [c.modifier] : [])].every(isSctConcept) || c.type.meaning.length === 0 || c.type.meaning.length > 64;
    });
    expect(bad).toEqual([]);
  });

  it('a lateralised structure names its side (Left 7771000 / Right 24028007 modifier, or a sided type), no other has a modifier', () => {
    const wrong = STRUCTURES.filter((name) => {
      const { type, modifier } = BUNDLE_TERMINOLOGY[name]!;
      const side = sideOf(name);
      if (!side) return modifier !== undefined;
      if (modifier) return modifier.code !== SIDES[side] || modifier.meaning !== side;
      return !type.meaning.toLowerCase().includes(side.toLowerCase()); // "Left atrium", "Middle lobe of right lung"
    });
    expect(wrong).toEqual([]);
    expect(BUNDLE_TERMINOLOGY.kidney_left).toEqual({ category: { code: '123037004', scheme: 'SCT', meaning: 'Anatomical Structure' }, type: { code: '64033007', scheme: 'SCT', meaning: 'Kidney' }, modifier: { code: '7771000', scheme: 'SCT', meaning: 'Left' } });
    expect(BUNDLE_TERMINOLOGY.spleen?.type).toEqual({ code: '78961009', scheme: 'SCT', meaning: 'Spleen' });
  });

  it("is the bundle recipe's coding for every named label, and survives the trip into the worker thread", () => {
    const recipe = wholeBodyRecipe('lowres');
    expect(recipe.labelCodes).toBe(BUNDLE_TERMINOLOGY);
    expect(Object.values(recipe.labelNames).filter((name) => name !== 'background' && !recipe.labelCodes?.[name])).toEqual([]);
    expect(structuredClone(recipe).labelCodes).toEqual(BUNDLE_TERMINOLOGY);
  });

  it('the generic coding for labels without codes is standard SNOMED CT too', () => {
    expect([GENERIC_SEGMENT_CODING.category, GENERIC_SEGMENT_CODING.type].every(isSctConcept)).toBe(true);
  });
});

describeWithTools(['dciodvfy', 'pydicom'], 'a written SEG carries the codes', () => {
  it('lateralised, unlateralised and uncoded labels: pydicom reads the codes, dciodvfy raises no error or coding warning', async () => {
    const dir = path.join(tempDir('seg-codes'), 'ct');
    writeCtSeries(indexVolume([8, 6, 5], OBLIQUE_FREE_AFFINE), dir);
    const { volume, series } = await readDicomSeries(dir);
    const coded = ['kidney_left', 'liver', 'lung_middle_lobe_right', 'heart_atrium_left', 'rib_right_12'];
    const values = [...coded.map((name) => BUNDLE_CHANNEL_NAMES.indexOf(name)), 200];
    const names = { ...BUNDLE_NAMES, '200': 'uncoded_structure' };
    const data = new Uint8Array(volume.data.length);
    data.forEach((_, p) => (data[p] = p % 7 < values.length ? values[p % 7]! : 0));
    const labels: LabelVolume = makeVolume(data, volume.shape, volume.affineRas);
    const segFile = path.join(path.dirname(dir), 'seg.dcm');
    const written = writeDicomSeg(labels, series, segFile, { labelNames: names, labelCodes: BUNDLE_TERMINOLOGY });

    const expected = written.items.map(({ number, name }) => expectedSegment(number, name, BUNDLE_TERMINOLOGY[name] ?? GENERIC_SEGMENT_CODING));
    expect(expected.map((s) => s.label)).toEqual(['kidney_left', 'liver', 'lung_middle_lobe_right', 'heart_atrium_left', 'rib_right_12', 'uncoded_structure']);
    expect(pydicomSegments(segFile)).toEqual(expected);
    expect(expected.filter((s) => s.modifiers.length > 0).map((s) => s.label)).toEqual(['kidney_left', 'rib_right_12']);
    expect(fs.readFileSync(segFile).includes('99WBCT')).toBe(false);
    expect(dciodvfyFindings(segFile)).toEqual({ errors: [], codeWarnings: [] });
    expect(Array.from(readDicomSeg(segFile, series, names).data)).toEqual(Array.from(data));
  });
});

describeWithOracle('wbct segment --format dicom-seg (the pipeline with the bundle recipe)', () => {
  describeWithTools(['pydicom'], 'segments of the written SEG', () => {
    it('carry the SNOMED CT codes of the bundle table', async () => {
      const dir = tempDir('seg-codes-pipeline');
      const ctDir = path.join(dir, 'ct');
      writeTestSeries(cropVolume(await craniumCt(ORACLE_DIR), [48, 48, 24], [96, 96, 32]), 'axial', ctDir);
      const outputPath = path.join(dir, 'labels.seg.dcm');
      const pool = new ModelPool({ threads: 2 });
      try {
        const tiny = path.join(FIXTURES_DIR, 'model', 'segresnet105_tiny_seed1.pt');
        await segmentFile({ inputPath: ctDir, outputPath, outputFormat: 'dicom-seg', recipe: wholeBodyRecipe('lowres'), modelPath: tiny }, pool);
      } finally {
        await pool.clear();
      }
      const segments = pydicomSegments(outputPath) as { number: number; label: string }[];
      expect(segments.length).toBeGreaterThan(0);
      expect(segments).toEqual(segments.map(({ number, label }) => expectedSegment(number, label, BUNDLE_TERMINOLOGY[label]!)));
    }, 120_000);
  });
});
