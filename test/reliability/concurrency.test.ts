import * as fs from 'node:fs';
import * as path from 'node:path';
import { readImage } from '../../src/io';
import { waitFor } from '../helpers/waitFor';
import { AcknowledgedWrites } from './harness/acknowledgedWrites';
import { call, multipartBody, postJson, type HttpAnswer } from './harness/httpCalls';
import { outcomeOfRefusal, recordCase, type CaseOutcome } from './harness/ledger';
import { MODEL } from './harness/modelChecks';
import { NiftiPayloads } from './harness/niftiPayloads';
import { CLI, startServerProcess, tempRoot, type ServerProcess } from './harness/serverProcess';

const describeBuilt = fs.existsSync(CLI) ? describe : describe.skip;
if (!fs.existsSync(CLI)) test.skip(`concurrency test needs the compiled server (${CLI}; npx tsc -p tsconfig.build.json)`, () => undefined);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answered {
  readonly what: string;
  readonly status: number;
  readonly body: unknown;
}

interface TrainTask {
  status?: string;
  details?: string[];
  result?: { published?: string | null };
}

describeBuilt('inference, training, uploads and label writes at once on one server process', () => {
  let base: string;
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    if (base) fs.rmSync(base, { recursive: true, force: true });
  });

  test('2 inferences, a training and a stream of uploads and label writes: every answer a 200 or a clear 4xx, every acknowledged write kept', async () => {
    base = tempRoot('wbct-concurrency-');
    const tmpRoot = path.join(base, 'tmp');
    fs.mkdirSync(tmpRoot);
    const live = await startServerProcess({ studiesDir: path.join(base, 'studies'), modelsDir: path.join(base, 'models'), env: { TMPDIR: tmpRoot } });
    server = live;
    const url = live.url;
    const small = await NiftiPayloads.create(path.join(base, 'payloads'), [24, 24, 24], 3);
    const ct = await NiftiPayloads.create(path.join(base, 'payloads'), [96, 96, 64], 1.5);
    const writes = new AcknowledgedWrites();
    const answers: Answered[] = [];
    const note = (what: string, res: HttpAnswer): HttpAnswer => {
      answers.push({ what, status: res.status, body: res.json() ?? null });
      return res;
    };

    expect(await writes.putImage(url, 'train-1', small.imageBytes(1))).toBe('acknowledged');
    expect(await writes.putLabel(url, 'train-1', 'final', small.labelBytes(1))).toBe('acknowledged');
    expect(await writes.putImage(url, 'infer-1', small.imageBytes(2))).toBe('acknowledged');

    expect(note('POST /train', await postJson(`${url}/train/${MODEL}`, { max_epochs: 1, highres: true, lr: 0.01, val_split: 0 })).status).toBe(200);
    let lastTask: TrainTask | undefined;
    const training = waitFor(
      async () => {
        lastTask = note('GET /train/', await call(`${url}/train/`)).json<TrainTask>();
        return lastTask?.status !== 'RUNNING' && lastTask?.status !== 'SUBMITTED' && { task: lastTask };
      },
      { what: 'the training to end', timeoutMs: 100_000, intervalMs: 250, detail: () => `last task: ${JSON.stringify(lastTask)}` },
    ).then(({ task }) => task);
    const secondTrain = sleep(300).then(async () => note('a second POST /train while one runs', await postJson(`${url}/train/${MODEL}`, { max_epochs: 1 })));
    // The second inference starts 3 s in, mid-epoch; the write lanes spread over the first seconds of the training.
    const inferences = [1, 2].map(async (n) => {
      await sleep(n === 1 ? 0 : 3000);
      const { contentType, body } = multipartBody({ params: JSON.stringify({ highres: n === 1, result_extension: '.nii.gz', result_dtype: 'uint8' }) }, []);
      return note(`infer ${n}`, await call(`${url}/infer/${MODEL}?image=infer-1&output=image`, { method: 'POST', headers: { 'content-type': contentType }, body }));
    });
    const imageLane = (async () => {
      for (let i = 0; i < 12; i++) {
        await writes.putImage(url, `ct-${i % 4}`, ct.imageBytes(100 + i));
        await sleep(300);
      }
    })();
    const labelLane = (async () => {
      for (let i = 0; i < 16; i++) {
        await writes.putLabel(url, 'infer-1', i % 2 ? 'final' : 'reviewed', small.labelBytes(200 + i));
        await sleep(200);
      }
    })();
    const [task, second, , , ...inferred] = await Promise.all([training, secondTrain, imageLane, labelLane, ...inferences]);

    for (const status of writes.answered()) answers.push({ what: 'write', status, body: null });
    const problems: string[] = [];
    let outcome: CaseOutcome = 'accepted';
    const fail = (o: CaseOutcome, why: string) => {
      if (outcome === 'accepted') outcome = o;
      problems.push(why);
    };
    for (const a of answers) {
      if (a.status === 200) continue;
      const o = outcomeOfRefusal(a.status, a.body);
      if (o !== 'refused') fail(o, `${a.what}: ${a.status} ${JSON.stringify(a.body)}`);
    }
    if (writes.outcomes().unknown > 0) fail('crash', `${writes.outcomes().unknown} write(s) got no answer`);
    if (second.status !== 429) fail('unclear', `a second training while one runs answered ${second.status}, not 429`);
    if (task?.status !== 'DONE' || !task.result?.published) fail('5xx', `the training ended ${task?.status}: ${JSON.stringify(task?.details?.slice(-3))}`);
    for (const [i, res] of inferred.entries()) {
      if (res.status !== 200) continue;
      const out = path.join(base, `infer-${i}.nii.gz`);
      fs.writeFileSync(out, res.body);
      const label = await readImage(out, { voxels: 'stored' }).catch((e: Error) => e);
      if (label instanceof Error || label.volume.shape.join('x') !== '24x24x24') fail('5xx', `infer ${i + 1}: the answer is not a label on the image's grid (${label instanceof Error ? label.message : label.volume.shape.join('x')})`);
    }
    const { lost, other } = await writes.verify(url);
    for (const p of lost) fail('lost-write', p);
    for (const p of other) fail('lost-write', p);
    if ((await call(`${url}/info/`)).status !== 200 || !live.alive()) fail('crash', 'the server does not answer /info/ at the end');

    const counts = writes.outcomes();
    const statuses = [...new Set(answers.map((a) => a.status))].sort().join(', ');
    recordCase({
      area: 'concurrency',
      name: 'infer x2 + training + image uploads and label writes at once',
      outcome,
      detail: `writes acknowledged ${counts.acknowledged}, refused ${counts.refused}; inferences ${inferred.map((r) => r.status).join(', ')}; statuses seen ${statuses}${problems.length ? `; ${problems.join('; ').slice(0, 1500)}` : ''}`,
    });
    expect(problems).toEqual([]);
    expect(counts.acknowledged).toBeGreaterThan(0);
  });
});
