import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { startServerProcess, tempRoot } from '../reliability/harness/serverProcess';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { startTestServer, type TestServer } from './harness/testServer';
import { testImage, testLabel } from './harness/imageFiles';
import { writeImage } from '../../src/io';

/** `npm start` on a machine without the weights (offline first start): everything but inference works. */
const MODEL = 'wholeBody_ct_segmentation';

describe('a server without weights', () => {
  let t: TestServer;
  let seg: GridCopySegmenter;
  beforeAll(async () => {
    seg = new GridCopySegmenter();
    const missing = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-noweights-')), 'models');
    t = await startTestServer({ segmenter: seg, modelFiles: { highres: path.join(missing, 'model.pt'), lowres: path.join(missing, 'model_lowres.pt') } });
  });
  afterAll(async () => {
    await t.close();
  });

  test('/info lists the model, saying which weights are missing and how to get them', async () => {
    const info = await request(t.server).get('/info/').expect(200);
    const description = info.body.models[MODEL].description as string;
    expect(description).toMatch(/NOT READY/);
    expect(description).toMatch(/the highres weights model\.pt are not in .*models: run "wbct models pull highres"/);
    expect(description).toMatch(/the lowres weights model_lowres\.pt .* download https:\/\/\S+model_lowres_wholebody_ct_segmentation\.pt \(md5 [0-9a-f]{32}\) and place it at \S+model_lowres\.pt/);
    expect(info.body.models[MODEL].type).toBe('segmentation');
  });

  test('/infer answers 503 MODEL_UNAVAILABLE with that message, before the model is queued', async () => {
    const image = await t.imageFile('case001.nii.gz');
    await request(t.server).put('/datastore/?image=case001').field('params', '{}').attach('file', image).expect(200);
    for (const highres of [true, false]) {
      const res = await request(t.server).post(`/infer/${MODEL}?image=case001`).field('params', JSON.stringify({ highres }));
      expect(res.status).toBe(503);
      expect(res.body.detail).toMatch(new RegExp(`Model ${MODEL} cannot run yet: the ${highres ? 'highres' : 'lowres'} weights .*wbct models pull ${highres ? 'highres' : 'lowres'}`));
    }
    expect(seg.requests).toHaveLength(0);
  });

  test('the datastore and labelling work: upload, submit a final label, read it back', async () => {
    const image = await t.imageFile('case002.nii.gz');
    await request(t.server).put('/datastore/?image=case002').field('params', '{}').attach('file', image).expect(200);
    const labelFile = path.join(t.root, 'label.nii.gz');
    await writeImage(labelFile, testLabel(testImage(), (i) => (i > 3 ? 5 : 0)));
    await request(t.server).put('/datastore/label?image=case002&tag=final').field('params', '{}').attach('label', labelFile).expect(200);
    const back = await request(t.server).get('/datastore/label?label=case002&tag=final').buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(back.status).toBe(200);
    expect(Buffer.compare(back.body as Buffer, fs.readFileSync(labelFile))).toBe(0);
    expect((await request(t.server).get('/datastore/?output=stats').expect(200)).body).toMatchObject({ total: 2, completed: 1 });
  });
});

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe('wbct serve offline with an empty models folder', () => {
  test('comes up after the failed download, serves the page and /info, refuses /infer with 503', async () => {
    const root = tempRoot('wbct-offline-');
    // A port nothing listens on: the download fails at once, as on a machine without network.
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    fs.mkdirSync(path.join(root, 'studies'));
    await writeImage(path.join(root, 'studies', 'case001.nii.gz'), testImage());
    const server = await startServerProcess({ studiesDir: path.join(root, 'studies'), modelsDir: path.join(root, 'models'), tinyModels: false, env: { WBCT_MODEL_MIRROR: `http://127.0.0.1:${port}/mirror` } });
    try {
      expect(server.stderr()).toMatch(/warning: serving without the highres model: could not download model\.pt/);
      expect(server.stderr()).toMatch(/warning: serving without the lowres model/);
      const page = await get(`${server.url}/`);
      expect(page.status).toBe(200);
      expect(page.body).toMatch(/<title>wbct/);
      const info = JSON.parse((await get(`${server.url}/info/`)).body) as { models: Record<string, { description: string }> };
      expect(info.models[MODEL]?.description).toMatch(/NOT READY/);
      const infer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.request(`${server.url}/infer/${MODEL}?image=case001`, { method: 'POST' }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
      expect(infer.status).toBe(503);
      expect(JSON.parse(infer.body)).toEqual({ detail: expect.stringMatching(/cannot run yet: the highres weights model\.pt are not in/) });
      expect(server.alive()).toBe(true);
    } finally {
      await server.stop();
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
