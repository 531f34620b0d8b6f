import * as fs from 'node:fs';
import * as path from 'node:path';
import { readImage, writeImage } from '../../src/io';
import { flipRasLps, makeVolume, mulMat4 } from '../../src/core/volume';
import { DicomWebDatastore } from '../../src/datastore/dicomWebDatastore';
import { readDicomSeries } from '../../src/dicom/readDicomSeries';
import { craniumCt, thresholdLabels, writeTestSeries } from '../helpers/testSeries';
import { describeWithOracle, maxAbsDiffRows, ORACLE_DIR } from '../helpers/oracle';
import { sharedLabelNames } from '../dicom/helpers/craniumSeries';
import { describeWithTools } from '../dicom/helpers/externalTools';
import { ORTHANC_USER, startOrthanc, uploadToOrthanc, type RunningOrthanc } from '../dicom/helpers/orthanc';
import { removeTempDirs, tempDir } from '../dicom/helpers/syntheticSeries';

afterAll(removeTempDirs);

const readVolume = async (file: string) => (await readImage(file, { voxels: 'stored' })).volume;

describeWithOracle('DicomWebDatastore on a real Orthanc', () => {
  describeWithTools(['Orthanc'], 'images are PACS series, labels go back as DICOM SEG', () => {
    let orthanc: RunningOrthanc;
    let ctDir: string;
    let store: DicomWebDatastore;

    beforeAll(async () => {
      orthanc = await startOrthanc();
      ctDir = path.join(tempDir('ds-src'), 'ct');
      writeTestSeries(await craniumCt(ORACLE_DIR), 'flipped-rows-columns', ctDir);
      await uploadToOrthanc(orthanc, fs.readdirSync(ctDir).map((f) => path.join(ctDir, f)));
      store = new DicomWebDatastore({ baseUrl: orthanc.dicomWebUrl, auth: ORTHANC_USER, cacheDir: tempDir('ds-cache'), readVolume, labelNames: sharedLabelNames() });
    }, 120_000);
    afterAll(async () => orthanc?.stop());

    it('lists the series, serves it as NIfTI, stores a label as SEG, and serves that label back', async () => {
      const { volume, series } = await readDicomSeries(ctDir);
      const id = series.seriesInstanceUid;
      expect(await store.listImages()).toEqual([id]);
      expect(await store.unlabeledImages()).toEqual([id]);
      expect(await store.imageInfo(id)).toMatchObject({ StudyInstanceUID: series.studyInstanceUid, Modality: 'CT', NumberOfInstances: 108 });

      const image = await readImage(await store.imagePath(id));
      expect(Buffer.from(image.volume.data.buffer).equals(Buffer.from(volume.data.buffer))).toBe(true);
      expect(maxAbsDiffRows(image.volume.affineRas, volume.affineRas)).toBeLessThan(1e-4);

      const labels = thresholdLabels(volume);
      const upload = path.join(tempDir('ds-upload'), 'label.nii.gz');
      await writeImage(upload, labels, { dtype: 'uint8' });
      await store.saveLabel(id, 'final', { tempPath: upload, fileName: 'label.nii.gz' }, { model: 'threshold' });
      expect(await store.unlabeledImages()).toEqual([]);
      expect(await store.stats()).toEqual({ total: 1, completed: 1, label_tags: { final: 1 } });

      const fresh = new DicomWebDatastore({ baseUrl: orthanc.dicomWebUrl, auth: ORTHANC_USER, cacheDir: tempDir('ds-cache2'), readVolume, labelNames: sharedLabelNames() });
      const back = await readVolume(await fresh.labelPath(id, 'final'));
      expect(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength).equals(Buffer.from(labels.data))).toBe(true);
      const forInfer = await fresh.derivedDicomFor(id, upload, 'seg');
      expect(forInfer.items.map((i) => i.name)).toEqual(['spleen', 'liver']);
      const pairs = await fresh.trainingPairs();
      expect(pairs).toHaveLength(1);
      expect((await fresh.dump()).objects[id]?.labels).toEqual({ final: { ext: '.nii.gz', info: { name: `${id}.nii.gz`, seg_series_uid: expect.stringMatching(/^[0-9.]+$/) } } });
    });

    it('refuses labels off the grid, unknown ids and new images with catalogued errors', async () => {
      const { volume, series } = await readDicomSeries(ctDir);
      const moved = makeVolume(thresholdLabels(volume).data, volume.shape, mulMat4(volume.affineRas, [[1, 0, 0, 2], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]));
      const upload = path.join(tempDir('ds-bad'), 'label.nii.gz');
      await writeImage(upload, moved, { dtype: 'uint8' });
      await expect(store.saveLabel(series.seriesInstanceUid, 'final', { tempPath: upload, fileName: 'label.nii.gz' }, {})).rejects.toMatchObject({ code: 'GRID_MISMATCH' });
      await expect(store.imagePath('1.2.3')).rejects.toMatchObject({ code: 'IMAGE_NOT_FOUND' });
      await expect(store.labelPath(series.seriesInstanceUid, 'original')).rejects.toMatchObject({ code: 'LABEL_NOT_FOUND' });
      await expect(store.addImage()).rejects.toMatchObject({ code: 'BAD_REQUEST' });
      expect(flipRasLps(volume.affineRas)[0][0]).toBeLessThan(0); // the flipped series really is not axial-identity
    });
  });
});
