import * as fs from 'node:fs';
import * as path from 'node:path';
import JSZip from 'jszip';
import { readDicomSeries, listDicomSeries } from '../../src/dicom/readDicomSeries';
import { writeCtSeries } from '../helpers/writeCtSeries';
import { newUid } from '../../src/dicom/part10';
import { mulMat4, type Mat4 } from '../../src/core/volume';
import { defined } from '../helpers/defined';
import { maxAbsDiffRows } from '../helpers/oracle';
import { reverseAxes } from '../helpers/testSeries';
import { editDicomFile, indexVolume, OBLIQUE_FREE_AFFINE, removeTempDirs, tempDir } from './helpers/syntheticSeries';

afterAll(removeTempDirs);

const SHAPE: [number, number, number] = [7, 5, 6];

function expectAffineClose(a: Mat4, b: Mat4, tol = 1e-6): void {
  expect(maxAbsDiffRows(a, b)).toBeLessThan(tol);
}

describe('readDicomSeries on series written by writeCtSeries', () => {
  const original = indexVolume(SHAPE, OBLIQUE_FREE_AFFINE);

  it.each([
    ['as stored', [false, false, false]],
    ['rows and columns flipped', [true, true, false]],
    ['slices stored in reverse (k against the normal)', [false, false, true]],
  ] as const)('%s: HU and world geometry come back exactly', async (_name, flips) => {
    const dir = path.join(tempDir('rt'), 'series');
    const written = writeCtSeries(reverseAxes(original, flips), dir);
    const { volume, series } = await readDicomSeries(dir);
    // The reader sorts along row x column; for these grids that direction is +k of the original.
    const expected = flips[2] ? original : reverseAxes(original, flips);
    expect(volume.shape).toEqual(SHAPE);
    expect(Array.from(volume.data)).toEqual(Array.from(expected.data));
    expectAffineClose(volume.affineRas, expected.affineRas);
    const uids = flips[2] ? [...written.sopInstanceUids].reverse() : written.sopInstanceUids;
    expect(series.slices.map((s) => s.sopInstanceUid)).toEqual(uids);
    expect(series.frameOfReferenceUid).toBe(written.frameOfReferenceUid);
    expect(series.irregularities).toEqual([]);
  });

  it('reads the same series from a zip, with unrelated files and shuffled names', async () => {
    const dir = path.join(tempDir('zip'), 'series');
    writeCtSeries(original, dir);
    const zip = new JSZip();
    fs.readdirSync(dir).forEach((f, n) => zip.file(`nested/${(n * 7919) % 13}_${f}`, fs.readFileSync(path.join(dir, f))));
    zip.file('README.txt', 'not dicom');
    const zipPath = path.join(path.dirname(dir), 'series.zip');
    fs.writeFileSync(zipPath, await zip.generateAsync({ type: 'nodebuffer' }));
    const fromZip = await readDicomSeries(zipPath);
    const fromDir = await readDicomSeries(dir);
    expect(Array.from(fromZip.volume.data)).toEqual(Array.from(fromDir.volume.data));
    expect(fromZip.series.slices.map((s) => s.sopInstanceUid)).toEqual(fromDir.series.slices.map((s) => s.sopInstanceUid));
  });
});

describe('readDicomSeries rejects what is not one regular grid', () => {
  const original = indexVolume(SHAPE, OBLIQUE_FREE_AFFINE);
  const freshSeries = () => {
    const dir = path.join(tempDir('bad'), 'series');
    const written = writeCtSeries(original, dir);
    return { dir, written, file: (k: number) => defined(written.files[k], `slice file ${k}`) };
  };

  it('missing slice: error, or loaded with the gap recorded when allowIrregular', async () => {
    const { dir, file } = freshSeries();
    fs.rmSync(file(3));
    await expect(readDicomSeries(dir)).rejects.toThrow(/missing slice\(s\): gap of 5\.0000 mm .*allowIrregular/);
    const { volume, series } = await readDicomSeries(dir, { allowIrregular: true });
    expect(volume.shape[2]).toBe(5);
    expect(series.irregularities.join()).toMatch(/missing slice/);
  });

  it('uneven spacing', async () => {
    const { dir, file } = freshSeries();
    editDicomFile(file(2), (ds) => ((ds.ImagePositionPatient as number[])[2] = Number((ds.ImagePositionPatient as number[])[2]) + 0.6));
    await expect(readDicomSeries(dir)).rejects.toThrow(/inconsistent slice spacing/);
  });

  it('gantry tilt: error; with allowIrregular the sheared affine is exact', async () => {
    const shear: Mat4 = [[1, 0, 0, 0], [0, 1, 0.3, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
    const tilted = indexVolume(SHAPE, mulMat4(OBLIQUE_FREE_AFFINE, shear));
    const dir = path.join(tempDir('tilt'), 'series');
    writeCtSeries(tilted, dir);
    await expect(readDicomSeries(dir)).rejects.toThrow(/gantry tilt/);
    const { volume } = await readDicomSeries(dir, { allowIrregular: true });
    expectAffineClose(volume.affineRas, tilted.affineRas);
  });

  it('two slices at one position', async () => {
    const { dir, file } = freshSeries();
    fs.copyFileSync(file(1), path.join(dir, 'copy.dcm'));
    editDicomFile(path.join(dir, 'copy.dcm'), (ds) => (ds.SOPInstanceUID = newUid()));
    await expect(readDicomSeries(dir)).rejects.toThrow(/two slices at the same position/);
  });

  it('a localizer (scout) in the same series is left out, not treated as a misoriented slice', async () => {
    const { dir, written, file } = freshSeries();
    fs.copyFileSync(file(0), path.join(dir, 'scout.dcm'));
    editDicomFile(path.join(dir, 'scout.dcm'), (ds) => {
      ds.SOPInstanceUID = newUid();
      ds.ImageType = ['ORIGINAL', 'PRIMARY', 'LOCALIZER'];
      ds.ImageOrientationPatient = ['1', '0', '0', '0', '0', '-1'];
    });
    const { volume, series } = await readDicomSeries(dir);
    expect(volume.shape).toEqual(SHAPE);
    expect(series.slices.map((s) => s.sopInstanceUid)).toEqual(written.sopInstanceUids);
  });

  it('mixed orientation within one series', async () => {
    const { dir, file } = freshSeries();
    editDicomFile(file(4), (ds) => (ds.ImageOrientationPatient = ['0', '1', '0', '1', '0', '0']));
    await expect(readDicomSeries(dir)).rejects.toThrow(/mixed orientations in one series/);
  });

  it('two series: error listing both; choosing one by SeriesInstanceUID works', async () => {
    const root = tempDir('mixed');
    const a = writeCtSeries(original, path.join(root, 'a'));
    writeCtSeries(indexVolume([4, 4, 3], OBLIQUE_FREE_AFFINE), path.join(root, 'b'));
    await expect(readDicomSeries(root)).rejects.toThrow(/2 image series found, choose one with seriesInstanceUid/);
    expect((await listDicomSeries(root)).map((s) => s.sliceCount).sort()).toEqual([3, 6]);
    const { volume } = await readDicomSeries(root, { seriesInstanceUid: a.seriesInstanceUid });
    expect(volume.shape).toEqual(SHAPE);
    await expect(readDicomSeries(root, { seriesInstanceUid: '1.2.3' })).rejects.toThrow(/series 1\.2\.3 not found/);
  });

  it('compressed transfer syntax: error that says how to convert', async () => {
    const { dir, file } = freshSeries();
    const jpegLossless = '1.2.840.10008.1.2.4.70';
    editDicomFile(file(0), () => undefined, jpegLossless);
    await expect(readDicomSeries(dir)).rejects.toThrow(/compressed transfer syntax 1\.2\.840\.10008\.1\.2\.4\.70 is not supported; convert/);
  });

  it('no images, corrupt file, wrong path', async () => {
    const empty = tempDir('empty');
    fs.writeFileSync(path.join(empty, 'notes.txt'), 'hello');
    await expect(readDicomSeries(empty)).rejects.toThrow(/no DICOM image slices found/);
    const { dir, file } = freshSeries();
    fs.writeFileSync(file(2), fs.readFileSync(file(2)).subarray(0, 400));
    await expect(readDicomSeries(dir)).rejects.toThrow(new RegExp(`${path.basename(file(2))}: unreadable DICOM file`));
    await expect(readDicomSeries(path.join(empty, 'nope'))).rejects.toThrow(/no such file or folder/);
  });
});
