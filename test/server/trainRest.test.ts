import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { ModelVersions } from '../../src/apps/totalseg/modelVersions';
import { TrainStatsHolder, wholeBodyTrainJob } from '../../src/apps/totalseg/wholeBodyTrainJob';
import { readImage, writeImage } from '../../src/io';
import { makeVolume } from '../../src/core/volume';
import type { SegmentationRunner } from '../../src/infer/segmentationRunner';
import { describeWithOracle, oracleFile } from '../helpers/oracle';
import { waitFor } from '../helpers/waitFor';
import { describeWithRunner, newRunner, TINY_MODEL } from './harness/realRunner';
import { inferAnswerParts } from './harness/rawHttp';
import { startTestServer, type TestServer } from './harness/testServer';
import { wholeBodySegmenter } from '../../src/apps/totalseg/segmenter';

const MODEL = 'wholeBody_ct_segmentation';
/** Polls GET /train/ until `until` holds for the task; fails the test after `timeoutMs` with the last task seen. */
async function pollTrain(t: TestServer, until: (task: Record<string, unknown>) => boolean, timeoutMs = 450_000): Promise<Record<string, unknown>> {
  let last: Record<string, unknown> | undefined;
  return waitFor(
    async () => {
      const res = await request(t.server).get('/train/').expect(200);
      last = res.body as Record<string, unknown>;
      return until(last) && last;
    },
    { what: 'the training to reach the expected state', timeoutMs, intervalMs: 250, detail: () => `last task: ${JSON.stringify(last)}` },
  );
}

async function inferLowres(t: TestServer): Promise<Uint8Array> {
  const res = await request(t.server)
    .post(`/infer/${MODEL}?image=cranium`)
    .field('params', JSON.stringify({ highres: false, result_extension: '.nii.gz', result_dtype: 'uint8', client_id: 'user-xyz' }))
    .buffer(true)
    .parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    })
    .expect(200);
  const { file } = inferAnswerParts(res.header['content-type'], res.body as Buffer);
  const out = path.join(t.root, `infer-${Date.now()}.nii.gz`);
  fs.writeFileSync(out, file.value);
  return (await readImage(out, { voxels: 'stored' })).volume.data as Uint8Array;
}

describeWithOracle('training through the REST API', () => {
  describeWithRunner('submit a label, train, stop, restart, finish, infer with the new version', () => {
    let t: TestServer;
    let runner: SegmentationRunner;
    let versions: ModelVersions;
    const stats: TrainStatsHolder = { stats: {} };

    beforeAll(async () => {
      runner = newRunner();
      const modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-train-models-'));
      for (const f of ['model.pt', 'model_lowres.pt']) fs.copyFileSync(TINY_MODEL, path.join(modelsDir, f));
      versions = new ModelVersions(modelsDir);
      // Bundle recipe at a coarse grid and 32^3 crops so that an epoch takes seconds on 2 cores.
      const job = wholeBodyTrainJob(versions, stats, { spacingMm: 6, backend: 'wasm', options: { roi: [32, 32, 32], valCenterCrop: [32, 32, 32], valInterval: 1, batchSize: 1 } });
      t = await startTestServer({
        segmenter: wholeBodySegmenter(runner),
        modelFiles: versions,
        trainer: { job, stats: () => stats.stats },
      });
    });
    afterAll(async () => {
      await t?.close();
    });

    test('the workflow', async () => {
      const info = await request(t.server).get('/info/').expect(200);
      expect(Object.keys(info.body.trainers)).toEqual([MODEL]);
      await request(t.server).get('/train/').expect(404);

      // Annotator: image and a corrected label (bone, HU > 300, as class 1 = spleen's slot) saved as `final`.
      const ct = await readImage(oracleFile('cranium_ct.nii.gz'));
      const labelFile = path.join(t.root, 'bone.nii.gz');
      await writeImage(labelFile, makeVolume(Uint8Array.from(ct.volume.data, (hu) => (hu > 300 ? 1 : 0)), ct.volume.shape, ct.volume.affineRas));
      await request(t.server).put('/datastore/?image=cranium').field('params', '{}').attach('file', oracleFile('cranium_ct.nii.gz')).expect(200);
      await request(t.server).put('/datastore/label?image=cranium').field('params', '{"label_info":[{"name":"spleen","idx":1}]}').attach('label', labelFile).expect(200);
      expect((await request(t.server).get('/datastore/').expect(200)).body.completed).toBe(1);
      const before = await inferLowres(t);

      // Start, watch, refuse a second start, stop: the stopped task carries details, the best so far is kept.
      const started = await request(t.server).post(`/train/${MODEL}`).send({ max_epochs: 1000, lr: 0.01, highres: false, client_id: 'user-xyz' }).expect(200);
      expect(['SUBMITTED', 'RUNNING']).toContain(started.body.status);
      await pollTrain(t, (task) => task.status === 'RUNNING' && Number(stats.stats.epoch) >= 2);
      await request(t.server).post(`/train/${MODEL}`).send({ max_epochs: 1 }).expect(429);
      await request(t.server).get('/train/?check_if_running=true').expect(200);
      const trainStats = (await request(t.server).get('/info/').expect(200)).body.train_stats[MODEL];
      expect(trainStats).toMatchObject({ total_epochs: 1000 });
      expect(trainStats.epoch).toBeGreaterThanOrEqual(2);
      const stopped = await request(t.server).delete('/train/').expect(200);
      expect(stopped.body.status).toBe('STOPPED');
      expect(stopped.body.details.length).toBeGreaterThan(0);
      const afterStop = await pollTrain(t, (task) => task.status !== 'RUNNING' && Array.isArray(task.details));
      expect(afterStop.status).toBe('STOPPED');
      const firstVersion = versions.current('lowres');

      // Restart and let it finish: a newer version is published, the previous one stays on disk.
      await request(t.server).post(`/train/${MODEL}`).send({ max_epochs: 3, lr: 0.01, highres: false }).expect(200);
      const finished = await pollTrain(t, (task) => task.status === 'DONE' || task.status === 'ERROR');
      expect(finished.status).toBe('DONE');
      expect(versions.current('highres')).toBe(path.join(path.dirname(firstVersion.replace(/versions\/.*/, '')), 'model.pt'));
      expect(versions.current('lowres')).toMatch(/versions\/model_lowres\.\d{8}T\d{6}Z\.pt$/);
      if (firstVersion.includes('versions')) expect(fs.existsSync(firstVersion)).toBe(true);
      expect((await request(t.server).get('/info/').expect(200)).body.train_stats[MODEL]).toMatchObject({ epoch: 3, total_epochs: 3 });

      // Inference now runs on the fine-tuned head: the bone class appears where the tiny random model never put it.
      const after = await inferLowres(t);
      let changed = 0;
      let bone = 0;
      for (let i = 0; i < after.length; i++) {
        if (after[i] !== before[i]) changed++;
        if (after[i] === 1) bone++;
      }
      expect(changed).toBeGreaterThan(0);
      expect(bone).toBeGreaterThan(0);
    }, 600_000);
  });
});
