import request from 'supertest';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { startTestServer, type TestServer } from './harness/testServer';

const MODEL = 'wholeBody_ct_segmentation';
const SLICER_PARAMS = { device: 'cpu', highres: true, sw_overlap: 0.25, sw_batch_size: 1, result_extension: '.nrrd', result_dtype: 'uint8', client_id: 'user-xyz' };

async function withImage(t: TestServer): Promise<void> {
  await request(t.server).put('/datastore/?image=case001').field('params', '{}').attach('file', await t.imageFile('case001.nii.gz')).expect(200);
}

describe('the precision option and the engine in /info', () => {
  test('with bf16 on the engine: /info offers [fp32, bf16] (Slicer sends the first) and names the engine; bf16 reaches the pipeline', async () => {
    const segmenter = new GridCopySegmenter();
    const t = await startTestServer({ segmenter, engine: { engine: 'onednn', description: 'onednn 2.6.3 (avx512_core_amx)', precisions: ['fp32', 'bf16'], devices: ['cpu'] } });
    try {
      const model = (await request(t.server).get('/info/').expect(200)).body.models[MODEL];
      expect(model.config.precision).toEqual(['fp32', 'bf16']);
      expect(model.engine).toBe('onednn 2.6.3 (avx512_core_amx)');
      await withImage(t);
      await request(t.server).post(`/infer/${MODEL}?image=case001`).field('params', JSON.stringify({ ...SLICER_PARAMS, precision: 'fp32' })).expect(200);
      const res = await request(t.server).post(`/infer/${MODEL}?image=case001&output=json`).field('params', JSON.stringify({ ...SLICER_PARAMS, precision: 'bf16' })).expect(200);
      expect(segmenter.requests.map((r) => r.precision)).toEqual(['fp32', 'bf16']);
      expect(res.body.engine).toBe('grid copy (test)');
    } finally {
      await t.close();
    }
  });

  test('without it: /info offers fp32 only and a bf16 request is refused before it runs, with the reason', async () => {
    const segmenter = new GridCopySegmenter();
    const t = await startTestServer({ segmenter });
    try {
      expect((await request(t.server).get('/info/').expect(200)).body.models[MODEL].config.precision).toEqual(['fp32']);
      await withImage(t);
      const res = await request(t.server).post(`/infer/${MODEL}?image=case001`).field('params', JSON.stringify({ ...SLICER_PARAMS, precision: 'bf16' })).expect(422);
      expect(res.body.detail).toMatch(/^precision bf16 is not available on this server's engine \(onnxruntime 1\.\d+\.\d+\); it runs fp32$/);
      for (const bad of ['fp64', '', 3, ['fp32']]) {
        const r = await request(t.server).post(`/infer/${MODEL}?image=case001`).field('params', JSON.stringify({ ...SLICER_PARAMS, precision: bad })).expect(422);
        expect(r.body.detail).toMatch(/^precision must be one of fp32, bf16, got /);
      }
      expect(segmenter.requests).toHaveLength(0);
    } finally {
      await t.close();
    }
  });

  test('the device option: webgpu offered only where the engine has it; refused with the reason otherwise; other values run on the CPU', async () => {
    const offline = new GridCopySegmenter();
    const t = await startTestServer({ segmenter: offline, engine: { engine: 'onnxruntime', description: 'onnxruntime 1.30.0', precisions: ['fp32'], devices: ['cpu'], webgpuNote: 'webgpu unavailable: Failed to get a WebGPU adapter: No supported adapters' } });
    try {
      const model = (await request(t.server).get('/info/').expect(200)).body.models[MODEL];
      expect(model.config.device).toEqual(['cpu']);
      expect(model.engine).toBe('onnxruntime 1.30.0; webgpu unavailable: Failed to get a WebGPU adapter: No supported adapters');
      await withImage(t);
      const res = await request(t.server).post(`/infer/${MODEL}?image=case001`).field('params', JSON.stringify({ ...SLICER_PARAMS, device: 'webgpu' })).expect(422);
      expect(res.body.detail).toBe('device webgpu is not available on this server: webgpu unavailable: Failed to get a WebGPU adapter: No supported adapters');
      await request(t.server).post(`/infer/${MODEL}?image=case001`).field('params', JSON.stringify({ ...SLICER_PARAMS, device: 'cuda' })).expect(200);
      expect(offline.requests.map((r) => r.device)).toEqual(['cpu']);
    } finally {
      await t.close();
    }
    const gpu = new GridCopySegmenter();
    const g = await startTestServer({ segmenter: gpu, engine: { engine: 'onnxruntime', description: 'onnxruntime 1.30.0', precisions: ['fp32'], devices: ['cpu', 'webgpu'] } });
    try {
      expect((await request(g.server).get('/info/').expect(200)).body.models[MODEL].config.device).toEqual(['cpu', 'webgpu']);
      await withImage(g);
      await request(g.server).post(`/infer/${MODEL}?image=case001`).field('params', JSON.stringify({ ...SLICER_PARAMS, device: 'webgpu' })).expect(200);
      expect(gpu.requests.map((r) => r.device)).toEqual(['webgpu']);
    } finally {
      await g.close();
    }
  });
});
