import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readImage, writeImage } from '../../src/io';
import { makeVolume } from '../../src/core/volume';
import { TrainJob } from '../../src/train-bridge/trainJob';
import { TrainProgress } from '../../src/train-bridge/trainLoop';
import { startTrainWorker } from '../../src/train-bridge/trainWorkerClient';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import { describeWithOracle, oracleFile } from '../helpers/oracle';

/** The real CT and a bone label (HU > 300) as files, as a datastore would hold them. */
async function ctWithBoneLabel(dir: string): Promise<{ image: string; label: string }> {
  const ct = (await readImage(oracleFile('cranium_ct.nii.gz'))).volume;
  const label = path.join(dir, 'cranium_bone.nii.gz');
  await writeImage(label, makeVolume(Uint8Array.from(ct.data, (hu) => (hu > 300 ? 1 : 0)), ct.shape, ct.affineRas));
  return { image: oracleFile('cranium_ct.nii.gz'), label };
}

function job(dir: string, files: { image: string; label: string }, maxEpochs: number): TrainJob {
  return {
    weightsPath: oracleFile('segresnet105_tiny_seed1.pt'),
    outputPath: path.join(dir, 'best.pt'),
    train: [files],
    spacingMm: 6,
    backend: 'wasm',
    options: { maxEpochs, lr: 1e-2, roi: [32, 32, 32], valCenterCrop: [32, 32, 32], valInterval: 1, batchSize: 1 },
  };
}

describeWithOracle('training worker thread', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-train-'));
  let files: { image: string; label: string };
  const started: Array<ReturnType<typeof startTrainWorker>> = [];
  const launch = (...args: Parameters<typeof startTrainWorker>) => {
    const h = startTrainWorker(...args);
    started.push(h);
    return h;
  };
  beforeAll(async () => {
    files = await ctWithBoneLabel(dir);
  });
  afterAll(async () => {
    await Promise.all(started.map((h) => h.terminate()));
  });

  test('runs a job: progress, logs, head-only on pure tfjs, best weights saved as .pt (only the head changed)', async () => {
    const progress: TrainProgress[] = [];
    const logs: string[] = [];
    let scope = '';
    const handle = launch(job(dir, files, 2), { onProgress: (p) => progress.push(p), onLog: (l) => logs.push(l), onStart: (_b, s) => (scope = s) });
    const result = await handle.done;
    // Its backend released, the thread ends by itself (exit code 0), not by the grace period's terminate (1).
    expect(await handle.exited).toBe(0);
    expect(scope).toBe('head');
    expect(result).toMatchObject({ scope: 'head', epochsRun: 2, stopped: false, outputPath: path.join(dir, 'best.pt') });
    expect(result.backend.backend).toBe('wasm');
    expect(progress.at(-1)).toMatchObject({ epoch: 2, totalEpochs: 2, iteration: 2, totalIterations: 2 });
    expect(logs.some((l) => l.includes('validation mean Dice'))).toBe(true);
    const start = await readTorchStateDict(oracleFile('segresnet105_tiny_seed1.pt'));
    const best = await readTorchStateDict(result.outputPath!);
    expect([...best.keys()]).toEqual([...start.keys()]);
    for (const [k, t] of start) {
      const same = Buffer.from(best.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer));
      expect([k, same]).toEqual([k, !k.startsWith('conv_final.')]);
    }
  });

  test('stop request: finishes the current step, returns stopped, the worker exits', async () => {
    let asked = false;
    // Progress arrives from the worker, after launch has returned.
    const handle: ReturnType<typeof startTrainWorker> = launch(job(dir, files, 1000), {
      onProgress: () => {
        if (!asked) {
          asked = true;
          handle.stop();
        }
      },
    });
    const result = await handle.done;
    expect(result.stopped).toBe(true);
    expect(result.epochsRun).toBeLessThan(1000);
  });

  test('a scope too big for the wasm heap is refused before any work', async () => {
    const tooBig = { ...job(dir, files, 1), scope: 'all' as const, options: { ...job(dir, files, 1).options, roi: [96, 96, 96] as const } };
    await expect(launch(tooBig).done).rejects.toThrow(/does not fit the wasm backend's memory/);
  });

  test('a worker that answers but does not end (as Dawn can hold a thread) is terminated after the grace period', async () => {
    const script = path.join(dir, 'lingeringWorker.js');
    fs.writeFileSync(
      script,
      "const { parentPort } = require('node:worker_threads');\n" +
        "parentPort.postMessage({ type: 'done', result: { stopped: false } });\n" +
        'setInterval(() => undefined, 1000);\n',
    );
    const handle = launch(job(dir, files, 1), {}, { script, exitGraceMs: 200 });
    await expect(handle.done).resolves.toEqual({ stopped: false });
    expect(await handle.exited).toBe(1);
  });

  test('a bad job fails with a message naming the file', async () => {
    const bad = { ...job(dir, { image: path.join(dir, 'missing.nii.gz'), label: files.label }, 1) };
    await expect(launch(bad).done).rejects.toThrow(/missing\.nii\.gz/);
  });
});
