import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { ANONYMOUS_ADMIN } from '../../src/server/auth/roles';
import { SessionStore } from '../../src/server/sessions/sessionStore';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { readVolumeFile, testImage, writeVolumeFile } from './harness/imageFiles';
import { startTestServer, type TestServer } from './harness/testServer';

describe('session endpoints', () => {
  let t: TestServer;
  let seg: GridCopySegmenter;
  beforeEach(async () => {
    seg = new GridCopySegmenter();
    t = await startTestServer({ segmenter: seg });
  });
  afterEach(() => t.close());
  /** session_info names are relative to the server's sessions folder (by default `<workDir>/sessions`). */
  const onDisk = (relative: string) => path.join(t.server.context.workDir, 'sessions', relative);

  test('create (requests-style multipart), get, infer with session_id, delete, then 404', async () => {
    const file = await t.imageFile('case001.nii.gz');
    const created = await request(t.server).put('/session/?expiry=600').field('client_id', 'user-xyz').attach('files', file, 'case001.nii.gz').expect(200);
    const id: string = created.body.session_id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.body.session_info).toMatchObject({ name: id, meta: {}, expiry: 600 });
    expect(created.body.session_info.image).toMatch(/case001\.nii\.gz$/);
    expect(created.body.session_info).toMatchObject({ path: id, image: `${id}/case001.nii.gz` });
    expect(fs.readFileSync(onDisk(created.body.session_info.image)).equals(fs.readFileSync(file))).toBe(true);

    const got = await request(t.server).get(`/session/${id}`).expect(200);
    expect(got.body).toEqual(created.body.session_info);
    const image = await request(t.server).get(`/session/${id}?image=true`).expect(200);
    expect(image.headers['content-disposition']).toBe('attachment; filename="case001.nii.gz"');

    await request(t.server).post(`/infer/wholeBody_ct_segmentation?session_id=${id}`).field('params', '{"result_extension": ".nrrd"}').expect(200);
    expect(seg.requests[0]?.inputPath).toBe(onDisk(created.body.session_info.image));

    expect((await request(t.server).delete(`/session/${id}`).expect(200)).body.name).toBe(id);
    expect((await request(t.server).get(`/session/${id}`).expect(404)).body).toEqual({ detail: `Session (${id}) Not Found` });
    expect((await request(t.server).delete(`/session/${id}`).expect(404)).body).toEqual({ detail: 'Session Not Found' });
    expect(fs.existsSync(onDisk(created.body.session_info.path))).toBe(false);
  });

  test('expired sessions are gone; bad ids are 404, not paths', async () => {
    const file = await t.imageFile('case001.nii.gz');
    const created = await request(t.server).put('/session/?expiry=1').attach('files', file).expect(200);
    const infoFile = path.join(onDisk(created.body.session_info.path), '.session.json');
    const info = JSON.parse(fs.readFileSync(infoFile, 'utf8'));
    fs.writeFileSync(infoFile, JSON.stringify({ ...info, last_access_ts: info.last_access_ts - 10 }));
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

describe('session_info and the stored .session.json', () => {
  let t: TestServer;
  let seg: GridCopySegmenter;
  let id: string;
  let infoFile: string;
  let stored: Record<string, unknown>;
  beforeAll(async () => {
    seg = new GridCopySegmenter();
    t = await startTestServer({ segmenter: seg });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    const created = await request(t.server).put('/session/').attach('files', await t.imageFile('case001.nii.gz')).expect(200);
    id = created.body.session_id;
    infoFile = path.join(t.server.context.workDir, 'sessions', id, '.session.json');
    stored = JSON.parse(fs.readFileSync(infoFile, 'utf8'));
  });

  test('no answer names a server path; the info file holds none either', async () => {
    const answers = [
      (await request(t.server).put('/session/').attach('files', await t.imageFile('case002.nii.gz')).expect(200)).body,
      (await request(t.server).get(`/session/${id}`).expect(200)).body,
      (await request(t.server).get(`/session/${id}?update_ts=true`).expect(200)).body,
      (await request(t.server).delete(`/session/${id}`).expect(200)).body,
    ];
    for (const answer of answers) {
      const text = JSON.stringify(answer);
      expect(text).not.toContain(t.root);
      expect(text).not.toContain(t.server.context.workDir);
    }
    expect(answers[1]).toEqual({ name: id, path: id, image: `${id}/case001.nii.gz`, meta: {}, create_ts: expect.any(Number), last_access_ts: expect.any(Number), expiry: 3600 });
    expect(JSON.stringify(stored)).not.toContain(t.root);
    expect(stored.image).toBe('case001.nii.gz');
  });

  const withoutKey = (key: string) => () => Object.fromEntries(Object.entries(stored).filter(([k]) => k !== key));
  test.each<[string, () => unknown]>([
    ['not JSON', () => 'x{'],
    ['truncated JSON', () => JSON.stringify(stored).slice(0, 20)],
    ['a JSON array', () => []],
    ['JSON null', () => null],
    ['an image outside the folder (absolute)', () => ({ ...stored, image: '/etc/hostname', last_access_ts: 1e12 })],
    ['an image climbing out of the folder', () => ({ ...stored, image: '../case001.nii.gz' })],
    ['the info file itself as the image', () => ({ ...stored, image: '.session.json' })],
    ['an image without an image extension', () => ({ ...stored, image: 'notes.txt' })],
    ['a non-string image', () => ({ ...stored, image: 42 })],
    ['no image', withoutKey('image')],
    ['a string expiry', () => ({ ...stored, expiry: '3600' })],
    ['expiry 0', () => ({ ...stored, expiry: 0 })],
    ['no last_access_ts (never expiring on the old code)', withoutKey('last_access_ts')],
    ['a negative create_ts', () => ({ ...stored, create_ts: -5 })],
    ['meta an array', () => ({ ...stored, meta: [] })],
    ['owner a number', () => ({ ...stored, owner: 7 })],
    ['owner empty', () => ({ ...stored, owner: '' })],
  ])('a .session.json with %s is a missing session (404), never a crash or a file outside it', async (_what, content) => {
    const value = content();
    fs.writeFileSync(infoFile, typeof value === 'string' ? value : JSON.stringify(value));
    const notFound = { detail: `Session (${id}) Not Found` };
    expect((await request(t.server).get(`/session/${id}`)).body).toEqual(notFound);
    const image = await request(t.server).get(`/session/${id}?image=true`);
    expect([image.status, image.body]).toEqual([404, notFound]);
    const infer = await request(t.server).post(`/infer/wholeBody_ct_segmentation?session_id=${id}`).field('params', '{}');
    expect([infer.status, infer.body]).toEqual([404, notFound]);
    expect(seg.requests).toHaveLength(0);
    expect((await request(t.server).delete(`/session/${id}`).expect(404)).body).toEqual({ detail: 'Session Not Found' });
  });

  test('a session whose image file was removed by hand is a missing session (404), never a 500', async () => {
    fs.rmSync(path.join(path.dirname(infoFile), 'case001.nii.gz'));
    expect((await request(t.server).get(`/session/${id}?image=true`)).status).toBe(404);
    expect((await request(t.server).post(`/infer/wholeBody_ct_segmentation?session_id=${id}`).field('params', '{}')).status).toBe(404);
    expect(seg.requests).toHaveLength(0);
  });

  test("an older server's info file (absolute paths inside the folder, no owner) still reads, for admins", async () => {
    const folder = path.dirname(infoFile);
    fs.writeFileSync(infoFile, JSON.stringify({ name: id, path: folder, image: path.join(folder, 'case001.nii.gz'), meta: {}, create_ts: stored.create_ts, last_access_ts: stored.last_access_ts, expiry: 3600 }));
    // Auth is off here, so the request runs as admin.
    expect((await request(t.server).get(`/session/${id}`).expect(200)).body).toMatchObject({ name: id, path: id, image: `${id}/case001.nii.gz` });
  });
});

describe('SessionStore expiry (injected clock)', () => {
  test('a session lives expiry seconds after its last access; touching extends it; sweep removes the expired', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-sessions-'));
    try {
      let now = Date.UTC(2025, 0, 1);
      const store = new SessionStore({ dir, readVolume: readVolumeFile, now: () => now });
      const image = path.join(dir, 'upload.nii.gz');
      await writeVolumeFile(image, testImage());
      const session = await store.create([{ tempPath: image, fileName: 'case.nii.gz' }], 60, ANONYMOUS_ADMIN);
      now += 59_000;
      await store.get(session.name, true, ANONYMOUS_ADMIN);
      now += 60_000;
      expect((await store.get(session.name, false, ANONYMOUS_ADMIN)).last_access_ts).toBe(Math.floor((Date.UTC(2025, 0, 1) + 59_000) / 1000));
      now += 2_000;
      expect(await store.sweep()).toBe(1);
      await expect(store.get(session.name, false, ANONYMOUS_ADMIN)).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
      expect(fs.existsSync(session.path)).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
