import request from 'supertest';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { testLabel, testImage, writeVolumeFile } from './harness/imageFiles';
import { startTestServer, type TestServer } from './harness/testServer';

/** Tags that are names of Object.prototype's members are ordinary tags: counted as numbers, found only when stored. */
describe('label tags named like Object.prototype members', () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startTestServer({ segmenter: new GridCopySegmenter() });
  });
  afterEach(() => t.close());

  const TAGS = ['toString', 'constructor', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'];

  test('stats count them as numbers; unlabeled and training pairs do not see phantom labels', async () => {
    const imageFile = await t.imageFile('a.nii.gz');
    await request(t.server).put('/datastore/?image=a').attach('file', imageFile).expect(200);
    await request(t.server).put('/datastore/?image=b').attach('file', imageFile).expect(200);
    const labelFile = `${t.root}/label.nii.gz`;
    await writeVolumeFile(labelFile, testLabel(testImage(), (i) => i % 2));
    for (const tag of TAGS) await request(t.server).put(`/datastore/label?image=a&tag=${tag}`).attach('label', labelFile).expect(200);

    const stats = await request(t.server).get('/datastore/?output=stats').expect(200);
    expect(stats.body).toEqual({ total: 2, completed: 0, label_tags: Object.fromEntries(TAGS.map((tag) => [tag, 1])) });
    for (const tag of TAGS) {
      const pairs = await request(t.server).get('/datastore/?output=train').expect(200);
      expect(pairs.body).toEqual([]); // only `final` labels train
      await request(t.server).get(`/datastore/label?label=b&tag=${tag}`).expect(404);
    }
    const next = await request(t.server).post('/activelearning/first').send({}).expect(200);
    expect(next.body.id).toBe('a');
  });
});
