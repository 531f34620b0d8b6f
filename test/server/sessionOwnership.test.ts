import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { authConfigFor, loginAll, type TestUser } from './authTestUsers';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { startTestServer, type TestServer } from './harness/testServer';

const USERS = [
  { username: 'alice', password: 'alice-pw', roles: ['user'] },
  { username: 'bob', password: 'bob-pw', roles: ['user'] },
  { username: 'rita', password: 'rita-pw', roles: ['reviewer'] },
  { username: 'root', password: 'root-pw', roles: ['admin'] },
] as const satisfies readonly TestUser[];
type UserName = (typeof USERS)[number]['username'];
const MODEL = 'wholeBody_ct_segmentation';

describe('sessions belong to the user who created them', () => {
  let t: TestServer;
  let seg: GridCopySegmenter;
  let auth: Record<UserName, string>;
  beforeAll(async () => {
    seg = new GridCopySegmenter();
    t = await startTestServer({ segmenter: seg, server: { auth: await authConfigFor(USERS) } });
    auth = await loginAll(t.server, USERS);
  });
  afterAll(() => t.close());

  const create = async (user: UserName): Promise<string> => {
    const res = await request(t.server).put('/session/').set('Authorization', auth[user]).attach('files', await t.imageFile('case001.nii.gz')).expect(200);
    return res.body.session_id;
  };
  const infoFile = (id: string) => path.join(t.server.context.workDir, 'sessions', id, '.session.json');

  test("another user, even a reviewer, cannot read, touch, fetch, segment or delete it: 404 as for an unknown id", async () => {
    const id = await create('alice');
    expect(JSON.parse(fs.readFileSync(infoFile(id), 'utf8')).owner).toBe('alice');
    const before = fs.readFileSync(infoFile(id), 'utf8');
    const unknown = '00000000-0000-1000-8000-000000000000';
    const seen = seg.requests.length;
    for (const other of ['bob', 'rita'] as const) {
      const as = (r: request.Test) => r.set('Authorization', auth[other]);
      const get = await as(request(t.server).get(`/session/${id}`));
      expect([get.status, get.body]).toEqual([404, { detail: `Session (${id}) Not Found` }]);
      // Exactly what an id that does not exist answers: existence is not revealed.
      const missing = await as(request(t.server).get(`/session/${unknown}`));
      expect([missing.status, missing.body]).toEqual([404, { detail: `Session (${unknown}) Not Found` }]);
      expect((await as(request(t.server).get(`/session/${id}?image=true`))).status).toBe(404);
      expect((await as(request(t.server).get(`/session/${id}?update_ts=true`))).status).toBe(404);
      const infer = await as(request(t.server).post(`/infer/${MODEL}?session_id=${id}`)).field('params', '{}');
      expect([infer.status, infer.body]).toEqual([404, { detail: `Session (${id}) Not Found` }]);
      const del = await as(request(t.server).delete(`/session/${id}`));
      expect([del.status, del.body]).toEqual([404, { detail: 'Session Not Found' }]);
    }
    expect(seg.requests.length).toBe(seen);
    expect(fs.readFileSync(infoFile(id), 'utf8')).toBe(before);
    // Still the owner's, untouched.
    expect((await request(t.server).get(`/session/${id}`).set('Authorization', auth.alice).expect(200)).body.name).toBe(id);
    await request(t.server).post(`/infer/${MODEL}?session_id=${id}&output=json`).set('Authorization', auth.alice).field('params', '{}').expect(200);
    expect((await request(t.server).delete(`/session/${id}`).set('Authorization', auth.alice).expect(200)).body.name).toBe(id);
  });

  test('an admin reaches every session', async () => {
    const id = await create('bob');
    expect((await request(t.server).get(`/session/${id}`).set('Authorization', auth.root).expect(200)).body.name).toBe(id);
    await request(t.server).get(`/session/${id}?image=true`).set('Authorization', auth.root).expect(200);
    await request(t.server).post(`/infer/${MODEL}?session_id=${id}&output=json`).set('Authorization', auth.root).field('params', '{}').expect(200);
    expect((await request(t.server).delete(`/session/${id}`).set('Authorization', auth.root).expect(200)).body.name).toBe(id);
    await request(t.server).get(`/session/${id}`).set('Authorization', auth.bob).expect(404);
  });

  test('a session without a recorded owner (an older server) is for admins only', async () => {
    const id = await create('alice');
    const stored = JSON.parse(fs.readFileSync(infoFile(id), 'utf8'));
    delete stored.owner;
    fs.writeFileSync(infoFile(id), JSON.stringify(stored));
    await request(t.server).get(`/session/${id}`).set('Authorization', auth.alice).expect(404);
    await request(t.server).get(`/session/${id}`).set('Authorization', auth.root).expect(200);
  });
});
