import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import request from 'supertest';
import { makeVolume, type Mat4, type Vec3 } from '../../src/core/volume';
import { GridCopySegmenter } from '../server/harness/gridCopySegmenter';
import { testImage, writeVolumeFile } from '../server/harness/imageFiles';
import { startTestServer, type TestServer } from '../server/harness/testServer';
import { outcomeOfRefusal, recordCase } from './harness/ledger';

/**
 * The hostile test's resource findings, each refused before the expensive step with a 4xx whose detail names the
 * limit: tiny files with huge voxels (minutes of CPU and gigabytes before), declared-size and decompression bombs
 * (stored before), and bodies the server would have misread. The segmenter never runs for a refused request.
 */
const MODEL = 'wholeBody_ct_segmentation';
const LOWRES = JSON.stringify({ highres: false });

function diagonal(mm: number): Mat4 {
  return [
    [mm, 0, 0, 0],
    [0, mm, 0, 0],
    [0, 0, mm, 0],
    [0, 0, 0, 1],
  ];
}

/** A valid NIfTI, then its header's dim[1..3] overwritten (int16 at byte 42): the data stays small. */
function withDeclaredShape(nifti: Buffer, shape: Vec3): Buffer {
  const b = Buffer.from(nifti);
  shape.forEach((n, i) => b.writeInt16LE(n, 42 + 2 * i));
  return b;
}

describe('resource limits: refused before the expensive step, with the limit named', () => {
  let t: TestServer;
  let seg: GridCopySegmenter;
  let dir: string;
  beforeAll(async () => {
    seg = new GridCopySegmenter();
    t = await startTestServer({ segmenter: seg, limits: { maxDecompressedBytes: 8 * 1024 * 1024 }, trainer: { job: () => Promise.resolve(null) } });
    dir = path.join(t.root, 'files');
    fs.mkdirSync(dir);
  });
  afterAll(() => t.close());

  async function file(name: string, bytes: Buffer): Promise<string> {
    const p = path.join(dir, name);
    await fs.promises.writeFile(p, bytes);
    return p;
  }
  async function tinyWithVoxels(mm: number): Promise<string> {
    const p = path.join(dir, `tiny-${mm}.nii`);
    await writeVolumeFile(p, makeVolume(new Int16Array(64).fill(100), [4, 4, 4], diagonal(mm)));
    return p;
  }
  function record(name: string, res: request.Response): void {
    recordCase({ area: 'limits', name, outcome: outcomeOfRefusal(res.status, res.body), status: res.status, detail: String(res.body?.detail ?? '') });
  }

  test.each([
    [300, /maxUpsampling/],
    [600, /maxExtentMm/],
    [5000, /maxExtentMm/],
    [1e30, /maxExtentMm/],
  ])('a 4x4x4 upload with %d mm voxels -> 422 before any model run', async (mm, limit) => {
    const before = seg.requests.length;
    const res = await request(t.server).post(`/infer/${MODEL}`).field('params', LOWRES).attach('file', await tinyWithVoxels(mm));
    record(`POST /infer 4x4x4 at ${mm} mm`, res);
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(limit);
    expect(res.body.detail).not.toContain(t.root);
    expect(seg.requests.length).toBe(before);
  });

  test('the same image stored in the datastore and segmented by id -> 422, not a server path in the detail', async () => {
    await request(t.server).put('/datastore/?image=huge-voxels').attach('file', await tinyWithVoxels(600)).expect(200);
    const res = await request(t.server).post(`/infer/${MODEL}?image=huge-voxels`).field('params', LOWRES);
    record('POST /infer?image= 4x4x4 at 600 mm', res);
    expect([res.status, res.body.detail]).toEqual([422, expect.stringMatching(/^huge-voxels: extent 2400\.0 mm .*maxExtentMm/)]);
    expect(res.body.detail).not.toContain(t.studiesDir);
  });

  test.each([
    ['declares 1024x1024x1200 in a small .nii.gz', 'bomb.nii.gz', true, /maxInputVoxels/],
    ['declares 1024x1024x1200 in a small .nii', 'bomb.nii', false, /maxInputVoxels/],
    ['declares 256^3 int16 (32 MiB) over an 8 MiB maxDecompressedBytes', 'big.nii.gz', true, /maxDecompressedBytes/],
  ])('an upload that %s -> 413 and nothing stored', async (_what, name, gzip, limit) => {
    const small = path.join(dir, 'small.nii');
    await writeVolumeFile(small, testImage([4, 4, 4]));
    const shape: Vec3 = limit.source === 'maxInputVoxels' ? [1024, 1024, 1200] : [256, 256, 256];
    const raw = withDeclaredShape(fs.readFileSync(small), shape);
    const bytes = gzip ? zlib.gzipSync(raw) : raw;
    for (const [route, field] of [['/datastore/?image=bomb', 'file'], [`/infer/${MODEL}`, 'file']] as const) {
      const req = route.startsWith('/infer') ? request(t.server).post(route) : request(t.server).put(route);
      const res = await req.field('params', LOWRES).attach(field, await file(name, bytes));
      record(`${route} ${name} declaring ${shape.join('x')}`, res);
      expect(res.status).toBe(413);
      expect(res.body.detail).toMatch(limit);
    }
    const all = await request(t.server).get('/datastore/?output=all').expect(200);
    expect(Object.keys(all.body.objects)).not.toContain('bomb');
  });

  test('a 4x4x4 header followed by 64 MB of gzip-compressed zeros -> 415, inflating stopped at the declared size', async () => {
    const small = path.join(dir, 'small.nii');
    await writeVolumeFile(small, testImage([4, 4, 4]));
    const gz = Buffer.concat([zlib.gzipSync(fs.readFileSync(small)), zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024))]);
    expect(gz.length).toBeLessThan(200_000);
    const res = await request(t.server).put('/datastore/?image=zeros').attach('file', await file('zeros.nii.gz', gz));
    record('PUT /datastore/ 4x4x4 + 64 MB of zeros', res);
    expect(res.status).toBe(415);
    expect(res.body.detail).toMatch(/inflates to more than \d+ bytes, more than its header declares/);
  });

  test('a JSON body on POST /infer -> 415 instead of a silent default run', async () => {
    await request(t.server).put('/datastore/?image=ok').attach('file', await t.imageFile('ok.nii.gz')).expect(200);
    const before = seg.requests.length;
    const res = await request(t.server).post(`/infer/${MODEL}?image=ok`).send({ highres: false });
    record('POST /infer with a JSON body', res);
    expect(res.status).toBe(415);
    expect(res.body.detail).toMatch(/multipart\/form-data/);
    expect(seg.requests.length).toBe(before);
    // A bodiless POST stays a default run, as before.
    await request(t.server).post(`/infer/${MODEL}?image=ok&output=json`).expect(200);
  });

  test.each([
    [{ max_epochs: -1 }, /max_epochs/],
    [{ max_epochs: 'ten' }, /max_epochs/],
    [{ val_split: '' }, /val_split/],
    [{ val_split: 1.5 }, /val_split/],
    [{ lr: 0 }, /lr/],
    [{ scope: 'everything' }, /scope/],
    [{ highres: 'maybe' }, /highres/],
  ])('POST /train with %j -> 422 before a task is accepted', async (params, detail) => {
    const res = await request(t.server).post(`/train/${MODEL}`).send(params);
    record(`POST /train ${JSON.stringify(params)}`, res);
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(detail);
    await request(t.server).get('/train/').expect(404); // nothing was submitted (404: no task yet)
  });

  test('POST /train/ with non-object params for a model -> that model refused, nothing submitted', async () => {
    const res = await request(t.server).post('/train/').send({ [MODEL]: [1, 2] }).expect(200);
    record('POST /train/ with an array as params', { ...res, status: 400, body: { detail: res.body[MODEL].detail } } as request.Response);
    expect(res.body[MODEL]).toEqual({ result: null, detail: expect.stringMatching(/must be a JSON object/) });
    await request(t.server).get('/train/').expect(404);
  });
});
