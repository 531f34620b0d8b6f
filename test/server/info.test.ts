import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { SHARED_DIR } from '../helpers/oracle';
import { BUNDLE_CHANNEL_NAMES, wholeBodyLabels } from '../../src/apps/totalseg/bundleLabels';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { startTestServer, type TestServer } from './harness/testServer';

const SPEC = path.join(SHARED_DIR, 'spec');
const describeWithSpec = fs.existsSync(path.join(SPEC, 'labels.json')) ? describe : describe.skip;

describeWithSpec('bundle labels vs the shared spec', () => {
  test('channel names equal spec/labels.json; /info labels equal info-example.json', () => {
    const spec = JSON.parse(fs.readFileSync(path.join(SPEC, 'labels.json'), 'utf8')) as Record<string, string>;
    expect(BUNDLE_CHANNEL_NAMES).toEqual(Object.keys(spec).sort((a, b) => Number(a) - Number(b)).map((k) => spec[k]));
    const example = JSON.parse(fs.readFileSync(path.join(SPEC, 'info-example.json'), 'utf8'));
    expect(wholeBodyLabels()).toEqual(example.models.wholeBody_ct_segmentation.labels);
  });
});

describe('GET /info/', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ segmenter: new GridCopySegmenter() });
  });
  afterAll(() => t.close());

  test.each(['/info/', '/info'])('%s answers 200 without a redirect', async (url) => {
    const res = await request(t.server).get(url).redirects(0).expect(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
  });

  test('has what Slicer indexes: models with type and description, no top-level config', async () => {
    const info = (await request(t.server).get('/info/').expect(200)).body;
    expect(info.config).toBeUndefined();
    expect(Object.keys(info)).toEqual(['name', 'description', 'version', 'labels', 'models', 'trainers', 'strategies', 'scoring', 'train_stats', 'datastore']);
    const model = info.models.wholeBody_ct_segmentation;
    expect(model).toMatchObject({ type: 'segmentation', dimension: 3, version: '0.1.9', config: { device: ['cpu'], highres: true, sw_overlap: 0.25, sw_batch_size: 1 } });
    expect(model.description).toMatch(/104 whole body segments/);
    expect(Object.keys(model.labels)).toHaveLength(104);
    expect(model.labels.vertebrae_l5).toBe(18);
    expect(model.labels.background).toBeUndefined();
    expect(info.labels).toHaveLength(104);
    expect(info.labels[0]).toBe('spleen');
    expect(info.labels[103]).toBe('urinary_bladder');
    expect(info.strategies).toEqual({ random: { description: 'Random Strategy' }, first: { description: 'Get First Sample' } });
    expect(Object.keys(info.scoring)).toEqual(['dice']);
    expect(info.trainers).toEqual({});
    expect(info.datastore).toEqual({ total: 0, completed: 0, label_tags: {} });
  });

  test('a trainer appears with its config and train_stats', async () => {
    const withTrainer = await startTestServer({ segmenter: new GridCopySegmenter(), trainer: { job: () => Promise.resolve(undefined), stats: () => ({ epoch: 3, total_epochs: 5, best_metric: 0.7 }) } });
    try {
      const info = (await request(withTrainer.server).get('/info/').expect(200)).body;
      // One trainer config (the one wbct serve shows): the bundle's options plus highres, scope and lr.
      expect(info.trainers.wholeBody_ct_segmentation.config).toEqual({ device: ['cpu'], pretrained: true, highres: true, max_epochs: 50, val_split: 0.2, scope: ['auto', 'all', 'decoder', 'head'], lr: 1e-4 });
      expect(info.train_stats).toEqual({ wholeBody_ct_segmentation: { epoch: 3, total_epochs: 5, best_metric: 0.7 } });
    } finally {
      await withTrainer.close();
    }
  });

  test('unknown routes are 404 {"detail":"Not Found"}; /auth/ is 404 while auth is off', async () => {
    for (const url of ['/nope', '/auth/', '/auth']) {
      const res = await request(t.server).get(url).expect(404);
      expect(res.body).toEqual({ detail: 'Not Found' });
    }
  });
});
