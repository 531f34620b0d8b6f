import request from 'supertest';
import { authConfigFor, loginAll, type TestUser } from './authTestUsers';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { startTestServer, type TestServer } from './harness/testServer';

/**
 * `save_label` through `POST /infer` writes a label, so it needs what `PUT /datastore/label` needs (annotator).
 * Before the fix a `user` could store even `final` labels this way.
 */
const USERS = [
  { username: 'ursula', password: 'u-pw', roles: ['user'] },
  { username: 'anna', password: 'a-pw', roles: ['annotator'] },
  { username: 'rita', password: 'r-pw', roles: ['reviewer'] },
] as const satisfies readonly TestUser[];
type UserName = (typeof USERS)[number]['username'];
const MODEL = 'wholeBody_ct_segmentation';

describe('save_label through infer needs the annotator role', () => {
  let t: TestServer;
  let seg: GridCopySegmenter;
  let auth: Record<UserName, string>;
  beforeAll(async () => {
    seg = new GridCopySegmenter();
    t = await startTestServer({ segmenter: seg, server: { auth: await authConfigFor(USERS) } });
    auth = await loginAll(t.server, USERS);
    await request(t.server).put('/datastore/?image=case001').set('Authorization', auth.anna).field('params', '{}').attach('file', await t.imageFile('case001.nii.gz')).expect(200);
  });
  afterAll(() => t.close());

  const infer = (user: UserName, params: object) =>
    request(t.server).post(`/infer/${MODEL}?image=case001&output=json`).set('Authorization', auth[user]).field('params', JSON.stringify({ result_extension: '.nrrd', ...params }));
  const labelStatus = async (tag: string) => (await request(t.server).get(`/datastore/label?label=case001&tag=${tag}`).set('Authorization', auth.ursula)).status;

  test.each([
    ['final', { save_label: true, label_tag: 'final' }],
    ['original (the default tag)', { save_label: true }],
  ])('a user asking to save tag %s is refused with 403 before the model runs; nothing is stored', async (_tag, params) => {
    const runs = seg.requests.length;
    const res = await infer('ursula', params);
    expect(res.status).toBe(403);
    expect(res.body.detail).toMatch(/^Role "annotator" is required to save a label \(params save_label: true, label_tag "(final|original)"\)/);
    expect(seg.requests.length).toBe(runs);
    expect(await labelStatus('final')).toBe(404);
    expect(await labelStatus('original')).toBe(404);
  });

  test('a user may still segment without saving', async () => {
    await infer('ursula', {}).expect(200);
    await infer('ursula', { save_label: false, label_tag: 'final' }).expect(200);
    expect(await labelStatus('final')).toBe(404);
  });

  test.each(['anna', 'rita'] as const)('%s (annotator or above) saves the label', async (user) => {
    await infer(user, { save_label: true, label_tag: `by_${user}` }).expect(200);
    expect(await labelStatus(`by_${user}`)).toBe(200);
  });
});
