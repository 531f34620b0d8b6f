import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import type { App } from '../../src/core/app';
import { ApiError } from '../../src/core/errors';
import type { InferRequest, InferResult, InferTask, InferTaskInfo } from '../../src/core/tasks';
import { makeVolume } from '../../src/core/volume';
import { LocalDatastore } from '../../src/datastore/localDatastore';
import { SegmentationRunner } from '../../src/infer/segmentationRunner';
import type { InferRecipe } from '../../src/infer/segmentTypes';
import { readImage, writeImage } from '../../src/io';
import { createServer } from '../../src/server/createServer';
import { ServerLog } from '../../src/server/serverLog';
import { FirstStrategy } from '../../src/tasks/strategies';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import type { Float32Tensor } from '../../src/weights/tensor';
import { writeTorchStateDict } from '../../src/weights/writeTorchStateDict';
import { readVolumeFile } from '../server/harness/imageFiles';
import { describeWithRunner, TINY_MODEL } from '../server/harness/realRunner';

/**
 * "Another model is one more app": a 2-class model (the tiny SegResNet with its head cut to 2 channels), with its
 * own roi (32^3), spacing (4 mm), intensity chain and labels, defined here in the test and served by the unchanged
 * protocol layer (src/server) over the unchanged pipeline template (src/infer), with the real worker-thread runner.
 */
const RECIPE: InferRecipe = {
  preprocess: { spacingMm: 4, intensity: [{ kind: 'scaleIntensity', min: 0, max: 1 }] },
  roi: [32, 32, 32],
  overlap: 0.5,
  classes: 2,
  labelNames: { '0': 'background', '1': 'thing' },
  algorithmName: 'two-class test model',
  seriesDescription: 'two-class',
};

class TwoClassInferTask implements InferTask {
  constructor(
    private readonly runner: SegmentationRunner,
    private readonly weights: string,
  ) {}

  info(): InferTaskInfo {
    return { type: 'segmentation', labels: { thing: 1 }, dimension: 3, description: 'a 2-class test model', config: { roi: 32 } };
  }

  modelPath(): string {
    return this.weights;
  }

  async run(req: InferRequest): Promise<InferResult> {
    if (req.params.result_dtype !== undefined && req.params.result_dtype !== 'uint8') throw new ApiError('INVALID_PARAM', 'uint8 only');
    const result = await this.runner.segment({ inputPath: req.imagePath, outputPath: req.outputPath, modelPath: this.weights, recipe: RECIPE, limits: req.limits }, undefined, req.signal);
    return { labelPath: result.outputPath, params: { label_names: { thing: 1 }, counts: [...result.labelCounts] } };
  }
}

describeWithRunner('a second app (2 classes, roi 32, 4 mm) through src/server and src/infer', () => {
  let root: string;
  let runner: SegmentationRunner;
  let app: App;
  let weights: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-second-app-'));
    // The tiny network with conv_final.2 cut to its first 2 output channels: a valid 2-class SegResNet.
    const sd = await readTorchStateDict(TINY_MODEL);
    const two = new Map<string, Float32Tensor>();
    for (const [key, t] of sd) {
      if (!key.startsWith('conv_final.2.')) two.set(key, t);
      else {
        const per = t.data.length / (t.shape[0] ?? 1);
        two.set(key, { shape: [2, ...t.shape.slice(1)], data: t.data.slice(0, 2 * per) });
      }
    }
    weights = path.join(root, 'two_class.pt');
    await writeTorchStateDict(weights, two);
    runner = new SegmentationRunner({ threads: 1 });
    const datastore = await LocalDatastore.open({ root: path.join(root, 'studies'), readVolume: readVolumeFile });
    app = {
      name: 'two-class',
      description: 'a second app defined in a test',
      version: '0.0.1',
      datastore,
      infers: new Map([['two_class', new TwoClassInferTask(runner, weights)]]),
      trainers: new Map(),
      strategies: new Map([['first', new FirstStrategy()]]),
      scoring: new Map(),
      close: () => runner.close(),
    };
  });
  afterAll(async () => {
    await runner?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('/info lists it; POST /infer answers a 2-class label map on the input grid, equal to the template run directly', async () => {
    const server = createServer(app, { readVolume: readVolumeFile, log: new ServerLog({ sink: null }), workDir: path.join(root, 'work') });
    try {
      const shape = [40, 36, 20] as const;
      const data = new Int16Array(shape[0] * shape[1] * shape[2]);
      for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 2000) - 1000;
      const affine = [
        [-1.2, 0, 0, 10],
        [0, 1.2, 0, -20],
        [0, 0, 3, 5],
        [0, 0, 0, 1],
      ] as const;
      const input = path.join(root, 'ct.nii.gz');
      await writeImage(input, makeVolume(data, [...shape], affine.map((r) => [...r]) as never));

      const info = await request(server).get('/info/').expect(200);
      expect(info.body.name).toBe('two-class');
      expect(Object.keys(info.body.models)).toEqual(['two_class']);
      expect(info.body.labels).toEqual(['thing']);

      await request(server).put('/datastore/?image=ct').attach('file', input).expect(200);
      const res = await request(server).post('/infer/two_class?image=ct&output=image').field('params', JSON.stringify({ result_extension: '.nii.gz' })).buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      expect(res.status).toBe(200);
      const served = path.join(root, 'served.nii.gz');
      fs.writeFileSync(served, res.body as Buffer);
      const labels = (await readImage(served, { voxels: 'stored' })).volume;
      expect(labels.shape).toEqual([...shape]);
      const values = new Set(labels.data);
      expect([...values].every((v) => v === 0 || v === 1)).toBe(true);

      const direct = path.join(root, 'direct.nii.gz');
      const result = await runner.segment({ inputPath: input, outputPath: direct, modelPath: weights, recipe: RECIPE });
      expect(result.labelCounts).toHaveLength(2);
      expect(Buffer.from((await readImage(direct, { voxels: 'stored' })).volume.data.buffer).equals(Buffer.from(labels.data.buffer))).toBe(true);
    } finally {
      await server.shutdown();
    }
  });
});
