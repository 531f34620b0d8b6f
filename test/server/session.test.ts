import * as fs from 'node:fs';
import request from 'supertest';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { startTestServer, type TestServer } from './harness/testServer';

describe('session endpoints', () => {
  let t: TestServer;
  let seg: GridCopySegmenter;
  beforeEach(async () => {
    seg = new GridCopySegmenter();
    t = await startTestServer({ segmenter: seg });
  });
  afterEach(() => t.close());

  test('create (requests-style multipart), get, infer with session_id, delete, then 404', async () => {
    const file = await t.imageFile('case001.nii.gz');
    const created = await request(t.server).put('/session/?expiry=600').field('client_id', 'user-xyz').attach('files', file, 'case001.nii.gz').expect(200);
    const id: string = created.body.session_id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.session_info).toMatchObject({ name: id, meta: {}, expiry: 600 });
    expect(created.body.session_info.image).toMatch(/case001\.nii\.gz$/);
    expect(fs.readFileSync(created.body.session_info.image).equals(fs.readFileSync(file))).toBe(true);

    const got = await request(t.server).get(`/session/${id}`).expect(200);
    expect(got.body).toEqual(created.body.session_info);
    const image = await request(t.server).get(`/session/${id}?image=true`).expect(200);
    expect(image.headers['content-disposition']).toBe('attachment; filename="case001.nii.gz"');

    await request(t.server).post(`/infer/wholeBody_ct_segmentation?session_id=${id}`).field('params', '{"result_extension": ".nrrd"}').expect(200);
    expect(seg.requests[0].inputPath).toBe(created.body.session_info.image);

    expect((await request(t.server).delete(`/session/${id}`).expect(200)).body.name).toBe(id);
    expect((await request(t.server).get(`/session/${id}`).expect(404)).body).toEqual({ detail: `Session (${id}) Not Found` });
    expect((await request(t.server).delete(`/session/${id}`).expect(404)).body).toEqual({ detail: 'Session Not Found' });
    expect(fs.existsSync(created.body.session_info.path)).toBe(false);
  });

  test('expired sessions are gone; bad ids are 404, not paths', async () => {
    const file = await t.imageFile('case001.nii.gz');
    const created = await request(t.server).put('/session/?expiry=1').attach('files', file).expect(200);
    const info = JSON.parse(fs.readFileSync(`${created.body.session_info.path}/.session.json`, 'utf8'));
    fs.writeFileSync(`${created.body.session_info.path}/.session.json`, JSON.stringify({ ...info, last_access_ts: info.last_access_ts - 10 }));
    await request(t.server).get(`/session/${created.body.session_id}`).expect(404);
    for (const bad of ['..', '..%2F..%2Fetc', 'not-a-uuid']) await request(t.server).get(`/session/${bad}`).expect(404);
  });

  test('no files is 422, a non-image 415, uncompress unsupported 422, sessions off 406', async () => {
    expect((await request(t.server).put('/session/').field('client_id', 'x').expect(422)).body.detail).toMatch(/"files"/);
    const junk = `${t.root}/junk.nrrd`;
    fs.writeFileSync(junk, 'NRRD but not really');
    expect((await request(t.server).put('/session/').attach('files', junk).expect(415)).body.detail).toMatch(/junk\.nrrd/);
    expect((await request(t.server).put('/session/?uncompress=true').attach('files', junk).expect(422)).body.detail).toMatch(/uncompress/);
    const off = await startTestServer({ segmenter: seg, server: { sessions: false } });
    try {
      expect((await request(off.server).put('/session/').attach('files', junk).expect(406)).body).toEqual({ detail: 'Session Feature is Not Enabled' });
    } finally {
      await off.close();
    }
  });
});
