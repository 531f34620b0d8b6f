import * as path from 'node:path';
import { startServerProcess, type ServerProcess } from '../reliability/harness/serverProcess';
import { describeWithOracle } from '../helpers/oracle';
import { describeWithTools } from '../dicom/helpers/externalTools';
import { ORTHANC_USER, startOrthanc, type RunningOrthanc } from '../dicom/helpers/orthanc';
import { uploadCroppedCranium } from '../dicom/helpers/craniumSeries';
import { removeTempDirs, tempDir } from '../dicom/helpers/syntheticSeries';
import { describeWithRedis, TestRedis } from './harness/redisServer';
import { startWorker, type WorkerProcess } from './harness/workerProcess';

/** A PACS as the datastore with `--queue`: the worker segments the coordinator's copy of the series, the label goes back to the PACS as a SEG. */
const MODEL = 'wholeBody_ct_segmentation';
const TOKEN = 'worker-credential-for-tests-0123';

afterAll(removeTempDirs);

describeWithOracle('distributed inference on a DICOMweb datastore', () => {
  describeWithTools(['Orthanc'], 'real Orthanc', () => {
    describeWithRedis('real Redis', () => {
      let orthanc: RunningOrthanc;
      let redis: TestRedis;
      let server: ServerProcess;
      let worker: WorkerProcess;
      let seriesUid: string;

      beforeAll(async () => {
        orthanc = await startOrthanc();
        await uploadCroppedCranium(orthanc, 'axial');
        redis = await TestRedis.start(tempDir('queue-dicomweb-redis'));
        server = await startServerProcess({
          studiesDir: orthanc.dicomWebUrl,
          modelsDir: path.join(tempDir('queue-dicomweb-models'), 'models'),
          args: ['--dicomweb-user', ORTHANC_USER.username, '--cache', tempDir('queue-dicomweb-cache'), '--queue', redis.url],
          env: { WBCT_DICOMWEB_PASSWORD: ORTHANC_USER.password, WBCT_WORKER_TOKEN: TOKEN },
        });
        worker = await startWorker({ name: 'w1', queue: redis.url, server: server.url, token: TOKEN, cacheDir: tempDir('queue-dicomweb-worker') });
        const dump = (await (await fetch(`${server.url}/datastore/?output=all`)).json()) as { objects: Record<string, unknown> };
        seriesUid = Object.keys(dump.objects)[0] ?? '';
      }, 180_000);
      afterAll(async () => {
        await worker?.kill9();
        await server?.stop();
        await redis?.stop();
        await orthanc?.stop();
      });

      test('save_label through a worker: the answer names it and the label is a SEG in the PACS', async () => {
        expect(seriesUid).toMatch(/^[0-9.]+$/);
        const form = new FormData();
        form.append('params', JSON.stringify({ highres: false, save_label: true }));
        const res = await fetch(`${server.url}/infer/${MODEL}?image=${seriesUid}&output=json`, { method: 'POST', body: form });
        expect(res.status).toBe(200);
        expect(((await res.json()) as { worker: string }).worker).toBe('w1');
        const segs = (await (await fetch(`${orthanc.dicomWebUrl}/series?Modality=SEG`, { headers: { Authorization: orthanc.authHeader, Accept: 'application/dicom+json' } })).json()) as unknown[];
        expect(segs).toHaveLength(1);
        const dump = (await (await fetch(`${server.url}/datastore/?output=all`)).json()) as { objects: Record<string, { labels: Record<string, unknown> }> };
        expect(Object.keys(dump.objects[seriesUid]?.labels ?? {})).toEqual(['original']);
      });
    });
  });
});
