import * as dcmjs from 'dcmjs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { createTotalSegApp } from '../../src/apps/totalseg/createTotalSegApp';
import { openDicomWebStudies } from '../../src/apps/totalseg/dicomWebStudies';
import { studiesFromArgs } from '../../src/cli/commands/serveStudies';
import { UsageError } from '../../src/cli/usageError';
import { readDicomSeg } from '../../src/dicom/readDicomSeg';
import { readDicomSeries } from '../../src/dicom/readDicomSeries';
import type { DicomSeriesInfo } from '../../src/dicom/seriesInfo';
import type { SegmentationRunner } from '../../src/infer/segmentationRunner';
import { makeVolume, type LabelVolume } from '../../src/core/volume';
import { createServer, type WbctServer } from '../../src/server/createServer';
import { serve, type RunningServer } from '../../src/server/serve';
import { ServerLog } from '../../src/server/serverLog';
import { defined } from '../helpers/defined';
import { describeWithOracle } from '../helpers/oracle';
import { readVolumeFile, writeVolumeFile } from '../server/harness/imageFiles';
import { inferAnswerParts, rawRequest, slicerMultipartBody } from '../server/harness/rawHttp';
import { describeWithRunner, newRunner, TINY_MODEL } from '../server/harness/realRunner';
import { sharedLabelNames, uploadCroppedCranium } from './helpers/craniumSeries';
import { describeWithTools } from './helpers/externalTools';
import { expectedSegmentCodes, segmentCodes } from './helpers/segmentCodes';
import { BUNDLE_TERMINOLOGY } from '../../src/apps/totalseg/bundleTerminology';
import { ORTHANC_USER, startOrthanc, type RunningOrthanc } from './helpers/orthanc';
import { removeTempDirs, tempDir } from './helpers/syntheticSeries';
import { wholeBodySegmenter } from '../../src/apps/totalseg/segmenter';
import { engineInfo } from '../../src/model/engineInfo';

/**
 * `wbct serve --studies http://.../dicom-web` as Slicer uses it (spec section 7), on a real Orthanc loaded with the
 * oracle cranium (cropped, rows and columns flipped so the series is not axial-identity), the real runner and the
 * tiny model. The submitted label must land in Orthanc as a DICOM SEG that reads back equal; `output=dicom_seg`
 * must give the same labels as the NIfTI answer.
 */
const MODEL = 'wholeBody_ct_segmentation';
const SLICER_PARAMS = { device: 'cpu', highres: false, sw_overlap: 0.25, sw_batch_size: 1, result_extension: '.nrrd', result_dtype: 'uint8', client_id: 'user-xyz' };

afterAll(removeTempDirs);

const bytesOf = (v: { data: ArrayLike<number> & ArrayBufferView }) => Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength);

describeWithOracle('wbct serve on a DICOMweb datastore (real Orthanc)', () => {
  describeWithTools(['Orthanc'], 'Slicer workflow with labels stored in the PACS as DICOM SEG', () => {
    describeWithRunner('real runner, tiny model', () => {
      let orthanc: RunningOrthanc;
      let runner: SegmentationRunner;
      let server: WbctServer;
      let running: RunningServer;
      let series: DicomSeriesInfo;
      let cacheDir: string;
      let scratch: string;
      const q = (id: string) => encodeURIComponent(id);
      const NIFTI_PARAMS = { ...SLICER_PARAMS, result_extension: '.nii.gz' };

      /** The plain label answer (`output=image`) for a datastore image, saved under scratch as `fileName`. */
      async function niftiAnswer(id: string, fileName: string): Promise<string> {
        const nifti = await rawRequest(running.port, 'POST', `/infer/${MODEL}?image=${q(id)}&output=image`, slicerMultipartBody(NIFTI_PARAMS));
        expect(nifti.status).toBe(200);
        const file = path.join(scratch, fileName);
        fs.writeFileSync(file, nifti.body);
        return file;
      }

      /** A DICOM answer (`output=dicom_seg|rtstruct`), with the status and headers Slicer reads checked. */
      async function dicomAnswer(id: string, output: 'dicom_seg' | 'rtstruct'): Promise<Buffer> {
        const res = await rawRequest(running.port, 'POST', `/infer/${MODEL}?image=${q(id)}&output=${output}`, slicerMultipartBody(NIFTI_PARAMS));
        expect(res.status).toBe(200);
        expect(res.header('content-type')).toBe('application/dicom');
        expect(res.header('content-disposition')).toMatch(/^attachment; filename="[0-9.]+\.dcm"$/);
        expect(Number(res.header('content-length'))).toBe(res.body.length);
        return res.body;
      }

      /** Orthanc's own REST API (not DICOMweb, not our client): the SEG instances it holds, as files. */
      async function segFilesInOrthanc(): Promise<{ description: string; file: string }[]> {
        const auth = { Authorization: orthanc.authHeader };
        const qido = (await (await fetch(`${orthanc.dicomWebUrl}/series?Modality=SEG&includefield=0008103E`, { headers: { ...auth, Accept: 'application/dicom+json' } })).json()) as Record<string, { Value?: string[] }>[];
        const out: { description: string; file: string }[] = [];
        for (const s of qido) {
          const uid = defined(s['0020000E']?.Value?.[0], 'a SeriesInstanceUID in the QIDO answer');
          const [found] = (await (await fetch(`${orthanc.url}/tools/lookup`, { method: 'POST', headers: auth, body: uid })).json()) as { ID: string }[];
          const { Instances } = (await (await fetch(`${orthanc.url}/series/${defined(found, `Orthanc's id of series ${uid}`).ID}`, { headers: auth })).json()) as { Instances: string[] };
          expect(Instances).toHaveLength(1);
          const file = path.join(scratch, `${uid}.dcm`);
          fs.writeFileSync(file, Buffer.from(await (await fetch(`${orthanc.url}/instances/${Instances[0]}/file`, { headers: auth })).arrayBuffer()));
          out.push({ description: s['0008103E']?.Value?.[0] ?? '', file });
        }
        return out;
      }

      beforeAll(async () => {
        runner = newRunner();
        orthanc = await startOrthanc();
        scratch = tempDir('dwsrv-scratch');
        series = (await readDicomSeries(await uploadCroppedCranium(orthanc, 'flipped-rows-columns'))).series;
        cacheDir = tempDir('dwsrv-cache');
        const datastore = await openDicomWebStudies(orthanc.dicomWebUrl, { auth: ORTHANC_USER, cacheDir, readVolume: readVolumeFile });
        const app = await createTotalSegApp({ datastore, modelFiles: { highres: TINY_MODEL, lowres: TINY_MODEL }, segmenter: wholeBodySegmenter(runner), readVolume: readVolumeFile, engine: engineInfo('auto') });
        server = createServer(app, { readVolume: readVolumeFile, log: new ServerLog({ sink: null }), workDir: tempDir('dwsrv-work') });
        running = await serve(server, { port: 0, handleSignals: false });
      }, 180_000);
      afterAll(async () => {
        await running?.close();
        await runner?.close();
        await orthanc?.stop();
      });

      test('wbct serve --studies URL: credentials checked at start-up, folder-only flags refused', async () => {
        const args = { studies: orthanc.dicomWebUrl, 'dicomweb-user': ORTHANC_USER.username, cache: tempDir('dwsrv-cli-cache') };
        const { studies, where } = await studiesFromArgs({ ...args, 'dicomweb-password': ORTHANC_USER.password }, readVolumeFile);
        expect(where).toBe(`DICOMweb ${orthanc.dicomWebUrl}`);
        expect(await studies.datastore?.listImages()).toEqual([series.seriesInstanceUid]);
        await expect(studiesFromArgs({ ...args, 'dicomweb-password': 'wrong' }, readVolumeFile)).rejects.toThrow(/is not usable as the studies datastore.*401/);
        await expect(studiesFromArgs(args, readVolumeFile)).rejects.toThrow(UsageError);
        await expect(studiesFromArgs({ ...args, 'dicomweb-token': 't' }, readVolumeFile)).rejects.toThrow(/not both/);
        await expect(studiesFromArgs({ studies: scratch, cache: scratch }, readVolumeFile)).rejects.toThrow(/--cache applies only to --studies http/);
      });

      test('connect, next sample, segment (lowres), submit: the label is a SEG in Orthanc and downloads back equal', async () => {
        const port = running.port;
        const id = series.seriesInstanceUid;
        expect((await rawRequest(port, 'GET', '/auth/')).status).toBe(404);
        expect(JSON.parse((await rawRequest(port, 'GET', '/info/')).body.toString('utf8')).models[MODEL].type).toBe('segmentation');
        expect((await rawRequest(port, 'GET', '/train/?check_if_running=true')).status).toBe(404);

        const sample = JSON.parse((await rawRequest(port, 'POST', '/activelearning/random', { contentType: 'application/json', bytes: Buffer.from('{"client_id": "user-xyz"}') })).body.toString('utf8'));
        expect(sample).toMatchObject({ id, SeriesInstanceUID: id, Modality: 'CT', NumberOfInstances: 64 });
        expect(fs.existsSync(sample.path)).toBe(true);
        const before = JSON.parse((await rawRequest(port, 'GET', '/datastore/?output=all')).body.toString('utf8'));
        expect(before.objects[id].labels).toEqual({});

        const answer = await rawRequest(port, 'POST', `/infer/${MODEL}?image=${q(id)}`, slicerMultipartBody(SLICER_PARAMS));
        expect(answer.status).toBe(200);
        const { file } = inferAnswerParts(answer.header('content-type'), answer.body);
        const resultFile = path.join(scratch, file.filename);
        fs.writeFileSync(resultFile, file.value);
        const label = await readVolumeFile(resultFile);
        expect(label.shape).toEqual([series.columns, series.rows, 64]);
        const direct = path.join(scratch, 'direct.nrrd');
        await wholeBodySegmenter(runner).segment({ inputPath: sample.path, outputPath: direct, resolution: 'lowres', modelPath: TINY_MODEL, outputDtype: 'uint8', overlap: 0.25, swBatchSize: 1 });
        expect(bytesOf(label).equals(bytesOf(await readVolumeFile(direct)))).toBe(true);

        // The annotator's correction: a slab relabelled as liver (5), so the stored label differs from the model's.
        const corrected = Uint8Array.from(label.data as Uint8Array);
        corrected.fill(5, 0, series.columns * series.rows * 4);
        const correctedFile = path.join(scratch, 'corrected.nii.gz');
        await writeVolumeFile(correctedFile, makeVolume(corrected, label.shape, label.affineRas));
        const saved = await rawRequest(port, 'PUT', `/datastore/label?image=${q(id)}`, slicerMultipartBody({ label_info: [{ name: 'liver', idx: 5 }], model: MODEL, client_id: 'user-xyz' }, [{ field: 'label', filename: '/tmp/slicer/label.nii.gz', bytes: fs.readFileSync(correctedFile) }]));
        expect(JSON.parse(saved.body.toString('utf8'))).toEqual({ image: id, label: id });
        expect(JSON.parse((await rawRequest(port, 'GET', '/datastore/')).body.toString('utf8'))).toEqual({ total: 1, completed: 1, label_tags: { final: 1 } });

        const segs = await segFilesInOrthanc();
        expect(segs.map((s) => s.description)).toEqual(['wbct:final']);
        const inOrthanc: LabelVolume = readDicomSeg(defined(segs[0], 'the SEG in Orthanc').file, series, sharedLabelNames());
        // The datastore codes its segments with the bundle's SNOMED CT table.
        const codes = segmentCodes(defined(segs[0], 'the SEG in Orthanc').file);
        expect(codes.map((c) => c.label)).toContain('liver');
        expect(codes).toEqual(codes.map((c) => expectedSegmentCodes(c.label, BUNDLE_TERMINOLOGY)));
        expect(Buffer.from(inOrthanc.data).equals(Buffer.from(corrected))).toBe(true);

        const after = JSON.parse((await rawRequest(port, 'GET', '/datastore/?output=all')).body.toString('utf8'));
        expect(Object.keys(after.objects[id].labels)).toEqual(['final']);
        // Forget the local conversion so the download is fetched from Orthanc (WADO-RS) and converted again.
        fs.rmSync(path.join(cacheDir, 'labels'), { recursive: true, force: true });
        const download = await rawRequest(port, 'GET', `/datastore/label?label=${q(id)}&tag=final`);
        expect(download.status).toBe(200);
        const name = /filename="([^"]+)"/.exec(download.header('content-disposition') ?? '')?.[1] as string;
        const downloaded = path.join(scratch, `downloaded-${name}`);
        fs.writeFileSync(downloaded, download.body);
        const back = await readVolumeFile(downloaded);
        expect(back.shape).toEqual(label.shape);
        expect(bytesOf(back).equals(Buffer.from(corrected))).toBe(true);
      }, 180_000);

      test('output=dicom_seg answers application/dicom with the labels of the NIfTI answer, stores nothing', async () => {
        const id = series.seriesInstanceUid;
        const niftiFile = await niftiAnswer(id, 'answer.nii.gz');
        const expected = await readVolumeFile(niftiFile);

        const seg = await dicomAnswer(id, 'dicom_seg');
        const segFile = path.join(scratch, 'answer-seg.dcm');
        fs.writeFileSync(segFile, seg);
        expect(Buffer.from(readDicomSeg(segFile, series, sharedLabelNames()).data).equals(bytesOf(expected))).toBe(true);
        expect((await segFilesInOrthanc()).map((s) => s.description)).toEqual(['wbct:final']);

        const upload = await request(server).post(`/infer/${MODEL}?output=dicom_seg`).field('params', JSON.stringify(NIFTI_PARAMS)).attach('file', niftiFile).expect(422);
        expect(upload.body.detail).toMatch(/output=dicom_seg needs a datastore image/);
      }, 180_000);

      test('output=rtstruct answers application/dicom with an RT Structure Set whose ROIs are labels of the NIfTI answer', async () => {
        const id = series.seriesInstanceUid;
        const niftiFile = await niftiAnswer(id, 'answer-for-rtstruct.nii.gz');
        const names = sharedLabelNames();
        const present = new Set([...(await readVolumeFile(niftiFile)).data].filter((v) => v !== 0).map((v) => names[String(v)]));

        const rt = await dicomAnswer(id, 'rtstruct');
        const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(new Uint8Array(rt).buffer).dict) as {
          Modality: string;
          ReferencedFrameOfReferenceSequence: { RTReferencedStudySequence: { RTReferencedSeriesSequence: { SeriesInstanceUID: string }[] }[] }[];
          StructureSetROISequence: { ROIName: string }[];
        };
        expect(ds.Modality).toBe('RTSTRUCT');
        expect(ds.ReferencedFrameOfReferenceSequence[0]?.RTReferencedStudySequence[0]?.RTReferencedSeriesSequence[0]?.SeriesInstanceUID).toBe(id);
        const roiNames = ds.StructureSetROISequence.map((r) => r.ROIName);
        expect(roiNames.length).toBeGreaterThan(0);
        for (const name of roiNames) expect(present).toContain(name);
        expect((await segFilesInOrthanc()).map((s) => s.description)).toEqual(['wbct:final']);

        const upload = await request(server).post(`/infer/${MODEL}?output=rtstruct`).field('params', JSON.stringify(NIFTI_PARAMS)).attach('file', niftiFile).expect(422);
        expect(upload.body.detail).toMatch(/output=rtstruct needs a datastore image/);
      }, 180_000);
    });
  });
});
