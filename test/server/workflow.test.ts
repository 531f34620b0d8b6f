import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import request from 'supertest';
import { makeVolume, type Mat4 } from '../../src/core/volume';
import type { SegmentationRunner } from '../../src/infer/segmentationRunner';
import { serve, type RunningServer } from '../../src/server/serve';
import { FIXTURES_DIR, maxAbsDiffRows } from '../helpers/oracle';
import { readVolumeFile, writeVolumeFile } from './harness/imageFiles';
import { inferAnswerParts, rawRequest, slicerMultipartBody } from './harness/rawHttp';
import { describeWithRunner, newRunner, TINY_MODEL } from './harness/realRunner';
import { startTestServer, type TestServer } from './harness/testServer';
import { wholeBodySegmenter } from '../../src/apps/totalseg/segmenter';

/**
 * The Slicer workflow of spec section 7, call by call, against the real pipeline (SegmentationRunner in its worker
 * thread) with the tiny oracle SegResNet. Every label the server returns is checked voxel for voxel against the
 * same runner called directly on the same file with the options Slicer's params should map to.
 */
const MODEL = 'wholeBody_ct_segmentation';
const NODE_NAME = '6: CT Chest';
const SLICER_PARAMS = { device: 'cpu', highres: true, sw_overlap: 0.25, sw_batch_size: 1, result_extension: '.nrrd', result_dtype: 'uint8', client_id: 'user-xyz' };
const AFFINE: Mat4 = [
  [-1.2, 0, 0, 40],
  [0, -1.2, 0, 30],
  [0, 0, 2, -50],
  [0, 0, 0, 1],
];

/** A CT-like volume: air around a body-shaped ellipsoid of soft tissue with a denser core. */
function syntheticCt() {
  const shape = [64, 56, 40] as const;
  const data = new Int16Array(shape[0] * shape[1] * shape[2]);
  for (let k = 0; k < shape[2]; k++)
    for (let j = 0; j < shape[1]; j++)
      for (let i = 0; i < shape[0]; i++) {
        const r = ((i - 32) / 26) ** 2 + ((j - 28) / 20) ** 2 + ((k - 20) / 30) ** 2;
        data[i + shape[0] * (j + shape[1] * k)] = r > 1 ? -1000 : r > 0.2 ? 40 + ((i * 7 + j * 3 + k) % 30) : 700;
      }
  return makeVolume(data, shape, AFFINE);
}

describeWithRunner('Slicer workflow end to end (real runner, tiny model)', () => {
  let t: TestServer;
  let runner: SegmentationRunner;
  let running: RunningServer;
  let ctFile: string;

  // One worker for the whole file; each test gets a fresh server and datastore on it.
  beforeAll(() => {
    runner = newRunner();
  });
  afterAll(() => runner.close());
  beforeEach(async () => {
    t = await startTestServer({ segmenter: wholeBodySegmenter(runner), modelFiles: { highres: TINY_MODEL, lowres: TINY_MODEL } });
    running = await serve(t.server, { port: 0, handleSignals: false });
    ctFile = await t.imageFile('ct.nii.gz', syntheticCt());
  });
  afterEach(async () => {
    await running.close();
    fs.rmSync(t.root, { recursive: true, force: true });
  });

  // Every test segments the same synthetic CT, so the direct reference runs once per resolution.
  const direct = new Map<string, Uint8Array>();
  async function directLabel(resolution: 'highres' | 'lowres', input: string): Promise<Uint8Array> {
    const known = direct.get(resolution);
    if (known) return known;
    const out = path.join(t.root, `direct-${resolution}.nrrd`);
    await wholeBodySegmenter(runner).segment({ inputPath: input, outputPath: out, resolution, modelPath: TINY_MODEL, outputDtype: 'uint8', overlap: 0.25, swBatchSize: 1 });
    const label = (await readVolumeFile(out)).data as Uint8Array;
    direct.set(resolution, label);
    return label;
  }

  test('connect, upload, next sample, segment, submit, download, score', async () => {
    const port = running.port;
    // Connect: auth probe (404 = off), info, train probe.
    expect((await rawRequest(port, 'GET', '/auth/')).status).toBe(404);
    const info = JSON.parse((await rawRequest(port, 'GET', '/info/')).body.toString('utf8'));
    expect(info.models[MODEL].type).toBe('segmentation');
    expect((await rawRequest(port, 'GET', '/train/?check_if_running=true')).status).toBe(404);

    // A locally loaded volume is uploaded under its node name before the infer.
    const upload = await rawRequest(port, 'PUT', `/datastore/?image=${encodeURIComponent(NODE_NAME).replace(/%20/g, '+')}`, slicerMultipartBody({ client_id: 'user-xyz' }, [{ field: 'file', filename: 'C:\\Users\\me\\AppData\\Local\\Temp\\Slicer\\tmp81.nii.gz', bytes: fs.readFileSync(ctFile) }]));
    expect(JSON.parse(upload.body.toString('utf8'))).toEqual({ image: NODE_NAME });

    // Next sample.
    const sample = JSON.parse((await rawRequest(port, 'POST', '/activelearning/random', { contentType: 'application/json', bytes: Buffer.from('{"client_id": "user-xyz"}') })).body.toString('utf8'));
    expect(sample.id).toBe(NODE_NAME);
    expect(fs.existsSync(sample.path)).toBe(true);
    const all = JSON.parse((await rawRequest(port, 'GET', '/datastore/?output=all')).body.toString('utf8'));
    expect(all.objects[NODE_NAME].labels.original).toBeUndefined();

    // Run segmentation exactly as Slicer sends it; parse the answer from the raw socket.
    const answer = await rawRequest(port, 'POST', `/infer/${MODEL}?image=${encodeURIComponent(sample.id).replace(/%20/g, '+')}`, slicerMultipartBody(SLICER_PARAMS));
    expect(answer.status).toBe(200);
    expect(answer.header('transfer-encoding')).toBeUndefined();
    expect(Number(answer.header('content-length'))).toBe(answer.body.length);
    const { params: result, file } = inferAnswerParts(answer.header('content-type'), answer.body);
    expect(Object.keys(result.label_names as object)).toHaveLength(104);
    expect((result.latencies as { total: number }).total).toBeGreaterThan(0);
    const resultFile = path.join(t.root, file.filename);
    fs.writeFileSync(resultFile, file.value);
    const label = await readVolumeFile(resultFile);
    expect(label.data).toBeInstanceOf(Uint8Array);
    expect(label.shape).toEqual([64, 56, 40]);
    expect(maxAbsDiffRows(label.affineRas.slice(0, 3), AFFINE.slice(0, 3))).toBeLessThan(5e-5);
    expect(Buffer.from(label.data as Uint8Array).equals(Buffer.from(await directLabel('highres', sample.path)))).toBe(true);

    // Submit the (corrected) label: PUT /datastore/label without tag -> final.
    const labelNii = path.join(t.root, 'lab.nii.gz');
    await writeVolumeFile(labelNii, label);
    const saved = await rawRequest(port, 'PUT', `/datastore/label?image=${encodeURIComponent(NODE_NAME).replace(/%20/g, '+')}`, slicerMultipartBody({ label_info: [{ name: 'spleen', idx: 1 }], model: MODEL, client_id: 'user-xyz' }, [{ field: 'label', filename: '/tmp/slicer/lab.nii.gz', bytes: fs.readFileSync(labelNii) }]));
    expect(JSON.parse(saved.body.toString('utf8'))).toEqual({ image: NODE_NAME, label: NODE_NAME });
    const stats = JSON.parse((await rawRequest(port, 'GET', '/datastore/')).body.toString('utf8'));
    expect(stats).toEqual({ total: 1, completed: 1, label_tags: { final: 1 } });

    // lowres with save_label: the original label Slicer loads on the next sample.
    await request(t.server).post(`/infer/${MODEL}?image=${encodeURIComponent(NODE_NAME)}&output=json`).field('params', JSON.stringify({ ...SLICER_PARAMS, highres: false, save_label: true })).expect(200);
    const original = (await request(t.server).get('/datastore/?output=all').expect(200)).body.objects[NODE_NAME].labels.original;
    expect(Object.keys(original.info.params.label_names)).toHaveLength(104);
    const download = await rawRequest(port, 'GET', `/datastore/label?label=${encodeURIComponent(NODE_NAME).replace(/%20/g, '+')}&tag=original`);
    expect(download.header('content-disposition')).toMatch(/^attachment; filename="6_CT_Chest-[0-9a-f]{10}\.nrrd"$/);
    const originalFile = path.join(t.root, 'original.nrrd');
    fs.writeFileSync(originalFile, download.body);
    const lowres = Buffer.from(await directLabel('lowres', sample.path));
    expect(Buffer.from((await readVolumeFile(originalFile)).data as Uint8Array).equals(lowres)).toBe(true);
    expect(lowres.equals(Buffer.from(await directLabel('highres', sample.path)))).toBe(false);

    // Dice of original (lowres) vs final (highres result): a real agreement score in [0, 1].
    const scored = await request(t.server).post('/scoring/dice?run_sync=true').send({}).expect(200);
    expect(scored.body.status).toBe('DONE');
    const dice = scored.body.result.dice[NODE_NAME];
    expect(dice.mean).toBeGreaterThanOrEqual(0);
    expect(dice.mean).toBeLessThanOrEqual(1);
  });

  test('the Python client (http.client + cgi.FieldStorage on the raw socket) runs the same workflow', async () => {
    if (spawnSync('python3', ['-c', 'import cgi, http.client']).status !== 0) {
      console.warn('SKIPPED python client workflow: python3 with the cgi module is not available');
      return;
    }
    const tmp = fs.mkdtempSync(path.join(t.root, 'client-'));
    const run = await promisify(execFile)('python3', ['-W', 'ignore::DeprecationWarning', path.join(FIXTURES_DIR, 'server', 'slicer_client.py'), running.url, tmp, ctFile, 'case 2', '.nrrd', '-'], { timeout: 110_000 });
    const out = JSON.parse(run.stdout);
    expect(out.sample.id).toBe('case 2');
    expect(out.infer_file_names[0]).toMatch(/\.nrrd$/);
    const label = await readVolumeFile(out.result_path);
    expect(Buffer.from(label.data as Uint8Array).equals(Buffer.from(await directLabel('highres', out.sample.path)))).toBe(true);
    expect(fs.readFileSync(out.download_path).equals(fs.readFileSync(out.result_path))).toBe(true);
  });
});
