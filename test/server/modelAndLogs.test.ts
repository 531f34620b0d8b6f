import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { startTestServer, type TestServer } from './harness/testServer';

describe('GET /model/{model}, /model/info/{model}, /logs/', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ segmenter: new GridCopySegmenter() });
  });
  afterAll(() => t.close());

  test('model info: checksum and modified time of the highres weights; the file itself as attachment', async () => {
    const file = path.join(t.modelsDir, 'model.pt');
    const info = await request(t.server).get('/model/info/wholeBody_ct_segmentation').expect(200);
    expect(info.body).toEqual({ checksum: `SHA256:${createHash('sha256').update(fs.readFileSync(file)).digest('hex')}`, modified_time: Math.floor(fs.statSync(file).mtimeMs / 1000) });
    const download = await request(t.server).get('/model/wholeBody_ct_segmentation').buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(download.status).toBe(200);
    expect(download.headers['content-disposition']).toBe('attachment; filename="model.pt"');
    expect((download.body as Buffer).equals(fs.readFileSync(file))).toBe(true);
    expect((await request(t.server).get('/model/other').expect(404)).body.detail).toMatch(/other/);
  });

  test('logs: structured request lines, text and html, line limit', async () => {
    await request(t.server).get('/info/?probe=1').expect(200);
    const text = await request(t.server).get('/logs/?text=true&lines=50').expect(200);
    expect(text.headers['content-type']).toMatch(/text\/plain/);
    const lines = text.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.length).toBeLessThanOrEqual(50);
    expect(lines.find((l) => l.url === '/info/?probe=1')).toMatchObject({ level: 'info', msg: 'request', method: 'GET', status: 200, completed: true });
    const html = await request(t.server).get('/logs/').expect(200);
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.text).toContain('<pre>');
    expect(html.text).not.toContain('"url":"/info/?probe=1"<');
    expect((await request(t.server).get('/logs/?lines=1&html=false').expect(200)).text.trim().split('\n')).toHaveLength(1);
    expect((await request(t.server).get('/logs/?lines=-3').expect(422)).body.detail).toMatch(/lines/);
  });
});
