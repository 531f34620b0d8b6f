import * as path from 'node:path';
import request from 'supertest';
import { waitFor } from '../helpers/waitFor';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { testImage, testLabel, writeVolumeFile } from './harness/imageFiles';
import { startTestServer, type TestServer } from './harness/testServer';

/** Polls `url` until its task has finished (neither SUBMITTED nor RUNNING). */
async function untilTask(t: TestServer, url: string): Promise<Record<string, unknown>> {
  return waitFor(
    async () => {
      const res = await request(t.server).get(url);
      const body = res.body as Record<string, unknown>;
      return res.status === 200 && !['SUBMITTED', 'RUNNING'].includes(String(body.status)) && body;
    },
    { what: `the task at ${url} to finish`, intervalMs: 10 },
  );
}

describe('POST /scoring/{method} (dice of original vs final)', () => {
  let t: TestServer;
  beforeEach(async () => {
    t = await startTestServer({ segmenter: new GridCopySegmenter() });
  });
  afterEach(() => t.close());

  test('scores images having both labels, stores dice in the image info', async () => {
    const image = testImage([4, 2, 1]);
    await writeVolumeFile(path.join(t.studiesDir, 'a.nii.gz'), image);
    await writeVolumeFile(path.join(t.studiesDir, 'b.nii.gz'), image);
    const labels = path.join(t.studiesDir, 'labels');
    // original: spleen on i<2, liver on i>=2 ; final: spleen on i<1, liver on i>=1 -> spleen 2*2/(4+2)=2/3, liver 2*4/(4+6)=0.8
    await writeVolumeFile(path.join(labels, 'original', 'a.nii.gz'), testLabel(image, (i) => (i < 2 ? 1 : 5)));
    await writeVolumeFile(path.join(labels, 'final', 'a.nii.gz'), testLabel(image, (i) => (i < 1 ? 1 : 5)));
    await writeVolumeFile(path.join(labels, 'final', 'b.nii.gz'), testLabel(image, () => 1));

    expect((await request(t.server).get('/scoring/').expect(404)).body).toEqual({ detail: 'No Scoring Tasks Found' });
    const submitted = await request(t.server).post('/scoring/dice').send({}).expect(200);
    expect(submitted.body.status).toBe('SUBMITTED');
    const done = await untilTask(t, '/scoring/');
    expect(done.status).toBe('DONE');
    const result = (done.result as { dice: Record<string, { mean: number; labels: Record<string, number> }> }).dice;
    expect(Object.keys(result)).toEqual(['a']);
    expect(result.a).toEqual({ mean: expect.closeTo((2 / 3 + 0.8) / 2, 12), labels: { spleen: expect.closeTo(2 / 3, 12), liver: expect.closeTo(0.8, 12) } });
    const all = (await request(t.server).get('/datastore/?output=all').expect(200)).body;
    expect(all.objects.a.image.info.dice).toBeCloseTo((2 / 3 + 0.8) / 2, 12);
    expect(all.objects.b.image.info.dice).toBeUndefined();
  });

  test('unknown method 404; run_sync answers the finished task', async () => {
    expect((await request(t.server).post('/scoring/epistemic').send({}).expect(404)).body.detail).toMatch(/dice/);
    const sync = await request(t.server).post('/scoring/?run_sync=true').send({}).expect(200);
    expect(sync.body).toMatchObject({ status: 'DONE', result: { dice: {} } });
  });
});

describe('protocol: batch infer task', () => {
  let t: TestServer;
  let seg: GridCopySegmenter;
  beforeEach(async () => {
    seg = new GridCopySegmenter();
    t = await startTestServer({ segmenter: seg });
    for (const id of ['a', 'b', 'c']) await writeVolumeFile(path.join(t.studiesDir, `${id}.nii.gz`), testImage());
    await writeVolumeFile(path.join(t.studiesDir, 'labels', 'final', 'b.nii.gz'), testLabel(testImage(), () => 1));
  });
  afterEach(() => t.close());

  test('images=unlabeled runs a and c through the queue and stores original labels', async () => {
    expect((await request(t.server).get('/batch/infer').expect(404)).body).toEqual({ detail: 'No Batch Infer Tasks Found' });
    await request(t.server).post('/batch/infer/wholeBody_ct_segmentation?images=unlabeled').send({ result_extension: '.nii.gz' }).expect(200);
    const done = await untilTask(t, '/batch/infer');
    expect(done).toMatchObject({ status: 'DONE', result: { total: 2, done: 2, failed: [] } });
    expect(seg.requests.map((r) => path.basename(r.inputPath))).toEqual(['a.nii.gz', 'c.nii.gz']);
    const stats = (await request(t.server).get('/datastore/').expect(200)).body;
    expect(stats).toEqual({ total: 3, completed: 1, label_tags: { final: 1, original: 2 } });
  });

  test('images=all covers every image; a stop is STOPPED; unknown model 404; bad images value 422', async () => {
    seg.hold();
    await request(t.server).post('/batch/infer/wholeBody_ct_segmentation?images=all').send({}).expect(200);
    await waitFor(() => seg.requests.length > 0, { what: 'the batch to reach the segmenter' });
    const stopped = await request(t.server).delete('/batch/infer').expect(200);
    expect(stopped.body.status).toBe('STOPPED');
    expect(stopped.body.details.length).toBeGreaterThan(0);
    expect(seg.aborted).toHaveLength(1);
    seg.release();
    expect((await request(t.server).post('/batch/infer/nomodel').send({}).expect(404)).body.detail).toMatch(/nomodel/);
    expect((await request(t.server).post('/batch/infer/wholeBody_ct_segmentation?images=some').send({}).expect(422)).body.detail).toMatch(/images/);
  });
});
