import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import request from 'supertest';
import { serve, type RunningServer } from '../../src/server/serve';
import { defined } from '../helpers/defined';
import { FIXTURES_DIR, maxAbsDiffRows } from '../helpers/oracle';
import { waitFor } from '../helpers/waitFor';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { readVolumeFile, testImage } from './harness/imageFiles';
import { inferAnswerParts, rawRequest, slicerMultipartBody } from './harness/rawHttp';
import { startTestServer, type TestServer } from './harness/testServer';

/**
 * PROTOCOL tests of POST /infer: framing, byte layout, queueing, cancellation and errors. The segmenter here is the
 * GridCopySegmenter (a real label file on the input grid, not a segmentation); the workflow test runs the model.
 */
const MODEL = 'wholeBody_ct_segmentation';

/** Exactly what Slicer sends: the flattened model config plus result_extension .nrrd and result_dtype uint8. */
const SLICER_PARAMS = { device: 'cpu', highres: true, sw_overlap: 0.25, sw_batch_size: 1, result_extension: '.nrrd', result_dtype: 'uint8', client_id: 'user-xyz' };

async function withUploadedImage(t: TestServer, id = 'case001'): Promise<string> {
  const file = await t.imageFile(`${id}.nii.gz`);
  await request(t.server).put(`/datastore/?image=${encodeURIComponent(id)}`).field('params', '{}').attach('file', file).expect(200);
  return file;
}

describe('protocol: POST /infer/{model} answer framing', () => {
  let t: TestServer;
  let seg: GridCopySegmenter;
  let running: RunningServer;
  beforeAll(async () => {
    seg = new GridCopySegmenter();
    t = await startTestServer({ segmenter: seg });
    running = await serve(t.server, { port: 0, handleSignals: false });
    await withUploadedImage(t);
  });
  afterAll(async () => {
    await running.close();
    fs.rmSync(t.root, { recursive: true, force: true });
  });

  test('raw socket: Content-Length, no chunking, params part first, one file part with a plain unique basename', async () => {
    const res = await rawRequest(running.port, 'POST', `/infer/${MODEL}?image=case001`, slicerMultipartBody(SLICER_PARAMS));
    expect(res.statusLine).toBe('HTTP/1.1 200 OK');
    expect(res.header('transfer-encoding')).toBeUndefined();
    expect(Number(res.header('content-length'))).toBe(res.body.length);
    const contentType = res.header('content-type') as string;
    expect(contentType).toMatch(/^multipart\/form-data; boundary=[0-9a-f]{32}$/);
    const { params, file } = inferAnswerParts(contentType, res.body);
    expect(file.name).toBe('image');
    const labelNames = params.label_names as Record<string, number>;
    expect(Object.keys(labelNames)).toHaveLength(104);
    expect(labelNames.urinary_bladder).toBe(104);
    expect(Object.keys(params.latencies as object).sort()).toEqual(['infer', 'invert', 'post', 'pre', 'total', 'write']);
    expect(params.centroids).toEqual({});
    const { filename } = file;
    expect(filename).toMatch(/^tmp[0-9a-f]{16}\.nrrd$/);
    expect(file.value.subarray(0, 4).toString('latin1')).toBe('NRRD');
    expect(file.headers['content-type']).toBe('application/octet-stream');

    // The file part is the label on the image's exact grid.
    const local = path.join(t.root, filename);
    fs.writeFileSync(local, file.value);
    const label = await readVolumeFile(local);
    const image = testImage();
    expect(label.shape).toEqual(image.shape);
    expect(maxAbsDiffRows(label.affineRas.slice(0, 3), image.affineRas.slice(0, 3))).toBeLessThan(5e-5);

    const again = await rawRequest(running.port, 'POST', `/infer/${MODEL}?image=case001`, slicerMultipartBody(SLICER_PARAMS));
    expect(inferAnswerParts(again.header('content-type'), again.body).file.filename).not.toBe(filename);
    // Cleanup runs once the last byte is written, right after the answer.
    await waitFor(() => fs.readdirSync(path.join(t.root, 'work')).filter((f) => f.startsWith('tmp')).length === 0, { what: 'the work folder to hold no tmp files' });
  });

  test('the request reaches the segmenter with the Slicer options mapped', async () => {
    seg.requests.length = 0;
    await request(t.server).post(`/infer/${MODEL}?image=case001`).field('params', JSON.stringify({ ...SLICER_PARAMS, highres: false, sw_overlap: '0.5', sw_batch_size: 2 })).expect(200);
    expect(seg.requests).toHaveLength(1);
    expect(seg.requests[0]).toMatchObject({ inputPath: path.join(t.studiesDir, 'case001.nii.gz'), resolution: 'lowres', modelPath: path.join(t.modelsDir, 'model_lowres.pt'), overlap: 0.5, swBatchSize: 2, outputDtype: 'uint8' });
    await request(t.server).post(`/infer/${MODEL}/?image=case001`).field('params', JSON.stringify(SLICER_PARAMS)).expect(200);
    expect(seg.requests[1]).toMatchObject({ resolution: 'highres', modelPath: path.join(t.modelsDir, 'model.pt'), overlap: 0.25, swBatchSize: 1 });
  });

  test('python: the client parses the answer with cgi.FieldStorage from the raw socket (whole Slicer workflow)', async () => {
    const python = spawnSync('python3', ['-c', 'import cgi, http.client'], { encoding: 'utf8' });
    if (python.status !== 0) {
      console.warn(`SKIPPED python client check: python3 with the cgi module is not available (${python.stderr || python.error})`);
      return;
    }
    const tmp = fs.mkdtempSync(path.join(t.root, 'client-'));
    const image = path.join(t.root, 'scratch', 'case001.nii.gz');
    // Asynchronously: the server answering the client runs in this very process.
    const run = await promisify(execFile)('python3', ['-W', 'ignore::DeprecationWarning', path.join(FIXTURES_DIR, 'server', 'slicer_client.py'), running.url, tmp, image, '6: CT Chest', '.nrrd', '-'], { timeout: 60_000 });
    expect(run.stderr).toBe('');
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ auth_enabled: false, auth_status: 404, info_models: [MODEL], train_running: false, upload: { image: '6: CT Chest' } });
    // One multipart answer of known length: longer than the label file it carries.
    expect(Number(out.infer_headers['content-length'])).toBeGreaterThan(fs.statSync(out.result_path).size);
    expect(out.infer_headers['transfer-encoding']).toBeUndefined();
    expect(out.infer_form_keys).toEqual(['params']);
    expect(out.infer_file_names).toHaveLength(1);
    expect(Object.keys(out.infer_params.label_names)).toHaveLength(104);
    expect(fs.existsSync(out.result_path)).toBe(true);
    expect(out.save_label).toEqual({ image: out.sample.id, label: out.sample.id });
    expect(out.result_path).toMatch(/\.nrrd$/);
    expect(out.download_name).toMatch(/^6_CT_Chest-[0-9a-f]{10}\.nrrd$/);
    expect(fs.readFileSync(out.download_path).equals(fs.readFileSync(out.result_path))).toBe(true);
    expect(out.stats.completed).toBeGreaterThanOrEqual(1);
  });
});

describe('protocol: infer options, save_label and errors', () => {
  let t: TestServer;
  let seg: GridCopySegmenter;
  beforeEach(async () => {
    seg = new GridCopySegmenter();
    t = await startTestServer({ segmenter: seg });
    await withUploadedImage(t);
  });
  afterEach(() => t.close());

  test('save_label stores the result as tag original with {model, params}', async () => {
    await request(t.server).post(`/infer/${MODEL}?image=case001`).field('params', JSON.stringify({ ...SLICER_PARAMS, save_label: true })).expect(200);
    const all = (await request(t.server).get('/datastore/?output=all').expect(200)).body;
    const original = all.objects.case001.labels.original;
    expect(original.info.model).toBe(MODEL);
    expect(Object.keys(original.info.params.label_names)).toHaveLength(104);
    expect((await request(t.server).get('/datastore/').expect(200)).body).toEqual({ total: 1, completed: 0, label_tags: { original: 1 } });
  });

  test('output=json gives the params; output=image a bare file with a quoted name', async () => {
    const json = await request(t.server).post(`/infer/${MODEL}?image=case001&output=json`).field('params', JSON.stringify(SLICER_PARAMS)).expect(200);
    expect(json.headers['content-type']).toMatch(/application\/json/);
    expect(Object.keys(json.body.label_names)).toHaveLength(104);
    const image = await request(t.server).post(`/infer/${MODEL}?image=case001&output=image`).field('params', JSON.stringify(SLICER_PARAMS)).expect(200);
    expect(image.headers['content-disposition']).toMatch(/^attachment; filename="tmp[0-9a-f]{16}\.nrrd"$/);
    const nifti = await request(t.server).post(`/infer/${MODEL}?image=case001&output=image`).field('params', JSON.stringify({ ...SLICER_PARAMS, result_extension: '.nii.gz' })).expect(200);
    expect(nifti.headers['content-disposition']).toMatch(/\.nii\.gz"$/);
  });

  test('an image uploaded as the "file" part is segmented without entering the datastore', async () => {
    const file = await t.imageFile('up.nii.gz');
    const res = await request(t.server).post(`/infer/${MODEL}`).field('params', JSON.stringify(SLICER_PARAMS)).attach('file', file, 'C:\\Temp\\upload.nii.gz').expect(200);
    expect(res.headers['content-type']).toMatch(/^multipart\/form-data/);
    const { inputPath } = defined(seg.requests[0], 'the request the segmenter got');
    expect(inputPath).toMatch(/\.upload-[0-9a-f]+\.nii\.gz$/);
    await waitFor(() => !fs.existsSync(inputPath), { what: `the uploaded input ${inputPath} to be removed` });
    expect((await request(t.server).get('/datastore/').expect(200)).body.total).toBe(1);
  });

  test.each([
    [`/infer/nomodel?image=case001`, SLICER_PARAMS, 404, /Model "nomodel" Not Found/],
    [`/infer/${MODEL}`, SLICER_PARAMS, 400, /Neither Image nor File/],
    [`/infer/${MODEL}?image=missing`, SLICER_PARAMS, 404, /Image NOT Found/],
    [`/infer/${MODEL}?image=case001`, { ...SLICER_PARAMS, highres: 'maybe' }, 422, /highres/],
    [`/infer/${MODEL}?image=case001`, { ...SLICER_PARAMS, sw_overlap: 1.5 }, 422, /sw_overlap/],
    [`/infer/${MODEL}?image=case001`, { ...SLICER_PARAMS, sw_batch_size: 0 }, 422, /sw_batch_size/],
    [`/infer/${MODEL}?image=case001`, { ...SLICER_PARAMS, result_extension: '.png' }, 422, /result_extension/],
    [`/infer/${MODEL}?image=case001`, { ...SLICER_PARAMS, result_dtype: 'int64' }, 422, /result_dtype/],
    [`/infer/${MODEL}?image=case001&output=dicom_seg`, SLICER_PARAMS, 422, /dicom_seg/],
    [`/infer/${MODEL}?image=case001&output=rtstruct`, SLICER_PARAMS, 422, /output=rtstruct needs a DICOMweb datastore/],
    [`/infer/${MODEL}?image=case001&session_id=00000000-0000-0000-0000-000000000000`, SLICER_PARAMS, 404, /Session/],
  ])('%s with %j answers %i', async (url, params, status, detail) => {
    const res = await request(t.server).post(url).field('params', JSON.stringify(params)).expect(status);
    expect(res.body.detail).toMatch(detail);
  });

  test('missing weights name the file (503 MODEL_UNAVAILABLE); a model failure is 500 with detail; a non-image upload is 415', async () => {
    fs.rmSync(path.join(t.modelsDir, 'model_lowres.pt'));
    const missing = await request(t.server).post(`/infer/${MODEL}?image=case001`).field('params', JSON.stringify({ ...SLICER_PARAMS, highres: false })).expect(503);
    expect(missing.body.detail).toMatch(/model_lowres\.pt/);
    seg.segment = () => Promise.reject(new Error('onnxruntime: bad allocation'));
    const failed = await request(t.server).post(`/infer/${MODEL}?image=case001`).field('params', JSON.stringify(SLICER_PARAMS)).expect(500);
    expect(failed.body).toEqual({ detail: 'Failed to execute infer: onnxruntime: bad allocation' });
    const junk = path.join(t.root, 'junk.nii.gz');
    fs.writeFileSync(junk, 'not an image');
    expect((await request(t.server).post(`/infer/${MODEL}`).field('params', '{}').attach('file', junk).expect(415)).body.detail).toMatch(/junk\.nii\.gz/);
  });
});

describe('protocol: infer queue', () => {
  let t: TestServer;
  let seg: GridCopySegmenter;
  let running: RunningServer;
  beforeEach(async () => {
    seg = new GridCopySegmenter();
    t = await startTestServer({ segmenter: seg, server: { limits: { maxQueuedInfers: 1 } } });
    running = await serve(t.server, { port: 0, handleSignals: false });
    await withUploadedImage(t);
  });
  afterEach(async () => {
    seg.release();
    await running.close();
    fs.rmSync(t.root, { recursive: true, force: true });
  });

  /** Starts an infer request over a socket the test can cut. */
  function startInfer(): { done: Promise<number>; cut: () => void } {
    const body = slicerMultipartBody(SLICER_PARAMS);
    const req = http.request({ port: running.port, method: 'POST', path: `/infer/${MODEL}?image=case001`, headers: { 'content-type': body.contentType, 'content-length': body.bytes.length } });
    const done = new Promise<number>((resolve) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', () => resolve(-1));
    });
    req.end(body.bytes);
    return { done, cut: () => req.destroy() };
  }

  test('one run at a time; a full queue answers 429 with detail; all finish in order once released', async () => {
    seg.hold();
    const first = startInfer();
    await waitFor(() => seg.requests.length === 1, { what: 'the first inference to reach the segmenter' });
    const second = startInfer();
    await waitFor(() => t.server.context.inferBackend.order().length === 2, { what: 'one inference running and one waiting' });
    const third = await request(t.server).post(`/infer/${MODEL}?image=case001`).field('params', JSON.stringify(SLICER_PARAMS)).expect(429);
    expect(third.body.detail).toMatch(/Inference queue is full \(1 running, 1 waiting\)/);
    expect(seg.requests).toHaveLength(1);
    seg.release();
    expect(await first.done).toBe(200);
    expect(await second.done).toBe(200);
    expect(seg.requests).toHaveLength(2);
  });

  test('a client that disconnects while queued is dropped without running; one that disconnects while running cancels it', async () => {
    seg.hold();
    const first = startInfer();
    await waitFor(() => seg.requests.length === 1, { what: 'the first inference to reach the segmenter' });
    const queued = startInfer();
    await waitFor(() => t.server.context.inferBackend.order().length === 2, { what: 'one inference running and one waiting' });
    queued.cut();
    await waitFor(() => t.server.context.inferBackend.order().length === 1, { what: 'the disconnected inference to leave the queue' });
    first.cut();
    await waitFor(() => seg.aborted.length === 1, { what: 'the running inference to be aborted' });
    await waitFor(() => t.server.context.inferBackend.order().length === 0, { what: 'the inference queue to be idle' });
    expect(seg.requests).toHaveLength(1);
    seg.release();
    // The server still answers.
    await request(t.server).post(`/infer/${MODEL}?image=case001`).field('params', JSON.stringify(SLICER_PARAMS)).expect(200);
  });
});
