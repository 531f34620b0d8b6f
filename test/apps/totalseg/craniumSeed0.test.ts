import * as fs from 'node:fs';
import * as path from 'node:path';
import { wholeBodySegmenter, type Segmenter, type WholeBodySegmentRequest as SegmentRequest } from '../../../src/apps/totalseg/segmenter';
import type { SegmentationRunner } from '../../../src/infer/segmentationRunner';
import { serve, type RunningServer } from '../../../src/server/serve';
import { hasOracle, maxAbsDiffRows, oracleFile } from '../../helpers/oracle';
import { readVolumeFile } from '../../server/harness/imageFiles';
import { inferAnswerParts, rawRequest, slicerMultipartBody } from '../../server/harness/rawHttp';
import { newRunner, runnerAvailable } from '../../server/harness/realRunner';
import { startTestServer, type TestServer } from '../../server/harness/testServer';

/**
 * The bundle-size network (seed-0 weights, same shapes as the released model.pt) on the real head CT, through the
 * server, highres and lowres. Slow on CPU (about 2 min highres, 20 s lowres on 2 cores).
 */
const MODEL = 'wholeBody_ct_segmentation';
const SEED0 = oracleFile('segresnet105_seed0.pt');
const CRANIUM = oracleFile('cranium_ct.nii.gz');
const missing = !hasOracle() ? 'MONAI oracle folder not found' : runnerAvailable();
const suite = missing ? describe.skip : describe;

suite(`bundle-size SegResNet on cranium_ct through the server${missing ? ` [SKIPPED: ${missing}]` : ''}`, () => {
  let t: TestServer;
  let runner: SegmentationRunner;
  let running: RunningServer;
  const seen: SegmentRequest[] = [];

  beforeAll(async () => {
    runner = newRunner();
    const recording: Segmenter = {
      segment: (req, onProgress, signal) => {
        seen.push(req);
        return wholeBodySegmenter(runner).segment(req, onProgress, signal);
      },
    };
    t = await startTestServer({ segmenter: recording, modelFiles: { highres: SEED0, lowres: SEED0 } });
    running = await serve(t.server, { port: 0, handleSignals: false });
    const upload = await rawRequest(running.port, 'PUT', '/datastore/?image=cranium', slicerMultipartBody({ client_id: 'user-xyz' }, [{ field: 'file', filename: CRANIUM, bytes: fs.readFileSync(CRANIUM) }]));
    expect(upload.status).toBe(200);
  });
  afterAll(async () => {
    await running.close();
    await runner.close();
    fs.rmSync(t.root, { recursive: true, force: true });
  });

  async function infer(highres: boolean): Promise<{ label: Awaited<ReturnType<typeof readVolumeFile>>; params: Record<string, unknown> }> {
    const params = { device: 'cpu', highres, sw_overlap: 0.25, sw_batch_size: 1, result_extension: '.nrrd', result_dtype: 'uint8', client_id: 'user-xyz' };
    const res = await rawRequest(running.port, 'POST', `/infer/${MODEL}?image=cranium`, slicerMultipartBody(params));
    expect(res.status).toBe(200);
    expect(Number(res.header('content-length'))).toBe(res.body.length);
    const { params: answered, file } = inferAnswerParts(res.header('content-type'), res.body);
    const local = path.join(t.root, file.filename);
    fs.writeFileSync(local, file.value);
    return { label: await readVolumeFile(local), params: answered };
  }

  let lowres: Uint8Array;

  test('lowres (3 mm): the label equals a direct run of the pipeline on the same file', async () => {
    const { label, params } = await infer(false);
    expect(seen[seen.length - 1]).toMatchObject({ resolution: 'lowres', modelPath: SEED0 });
    const image = await readVolumeFile(CRANIUM);
    expect(label.shape).toEqual([256, 256, 108]);
    expect(maxAbsDiffRows(label.affineRas.slice(0, 3), image.affineRas.slice(0, 3))).toBeLessThan(5e-5);
    expect(label.data).toBeInstanceOf(Uint8Array);
    expect(Object.keys(params.label_names as object)).toHaveLength(104);
    const directFile = path.join(t.root, 'direct-lowres.nrrd');
    await wholeBodySegmenter(runner).segment({ inputPath: CRANIUM, outputPath: directFile, resolution: 'lowres', modelPath: SEED0, outputDtype: 'uint8' });
    lowres = label.data as Uint8Array;
    expect(Buffer.from(lowres).equals(Buffer.from((await readVolumeFile(directFile)).data as Uint8Array))).toBe(true);
  }, 300_000);

  test('highres (1.5 mm): runs the 1.5 mm pipeline and answers a label on the input grid', async () => {
    const { label } = await infer(true);
    expect(seen[seen.length - 1]).toMatchObject({ resolution: 'highres', modelPath: SEED0, overlap: 0.25, swBatchSize: 1 });
    expect(label.shape).toEqual([256, 256, 108]);
    const data = label.data as Uint8Array;
    expect(Math.max(...new Set(data))).toBeLessThanOrEqual(104);
    expect(Buffer.from(data).equals(Buffer.from(lowres))).toBe(false);
  }, 400_000);
});
