import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { testImage, testLabel, writeVolumeFile } from './harness/imageFiles';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { startTestServer, type TestServer } from './harness/testServer';

describe('POST /activelearning/{strategy}', () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startTestServer({ segmenter: new GridCopySegmenter() });
    for (const id of ['c', 'a', 'b']) await writeVolumeFile(path.join(t.studiesDir, `${id}.nii.gz`), testImage());
  });
  afterEach(() => t.close());

  test('first gives the first unlabeled id with path, name and image info, and records the strategy', async () => {
    const res = await request(t.server).post('/activelearning/first').send({ client_id: 'user-xyz' }).expect(200);
    expect(res.body).toMatchObject({ id: 'a', path: path.join(t.studiesDir, 'a.nii.gz'), name: 'a.nii.gz' });
    expect(fs.existsSync(res.body.path)).toBe(true);
    const all = (await request(t.server).get('/datastore/?output=all').expect(200)).body;
    expect(all.objects.a.image.info.strategy.first).toMatchObject({ client_id: 'user-xyz' });
  });

  test('random picks among unlabeled images only; {} when all are labeled', async () => {
    fs.mkdirSync(path.join(t.studiesDir, 'labels', 'final'), { recursive: true });
    for (const id of ['a', 'c']) await writeVolumeFile(path.join(t.studiesDir, 'labels', 'final', `${id}.nii.gz`), testLabel(testImage(), () => 1));
    for (let i = 0; i < 5; i++) expect((await request(t.server).post('/activelearning/random/').send({ client_id: 'x' }).expect(200)).body.id).toBe('b');
    await writeVolumeFile(path.join(t.studiesDir, 'labels', 'final', 'b.nii.gz'), testLabel(testImage(), () => 1));
    expect((await request(t.server).post('/activelearning/random').send({ client_id: 'x' }).expect(200)).body).toEqual({});
  });

  test('works without a body; unknown strategy is 404 with the available ones', async () => {
    expect((await request(t.server).post('/activelearning/first').expect(200)).body.id).toBe('a');
    const res = await request(t.server).post('/activelearning/epistemic').send({}).expect(404);
    expect(res.body.detail).toMatch(/random, first/);
    expect((await request(t.server).post('/activelearning/first').set('content-type', 'application/json').send('{oops').expect(400)).body.detail).toMatch(/JSON/);
  });
});
