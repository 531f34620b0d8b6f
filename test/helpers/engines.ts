import { buildSegResNetOnnx } from '../../src/model/buildSegResNetOnnx';
import { oneDnn } from '../../src/model/dnnl/onednnAddon';
import { OneDnnSession } from '../../src/model/dnnl/oneDnnSession';
import type { EngineName, Precision } from '../../src/model/segmentationNetwork';
import { SegResNetSession } from '../../src/model/segresnetSession';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';

/**
 * The exact engines this machine has: onnxruntime always, oneDNN when its addon is built. Where it is not, the
 * oneDNN parity suites skip visibly with the reason (CI builds it, so there both run).
 */
const dnnl = oneDnn();
export const EXACT_ENGINES: readonly EngineName[] = dnnl.available ? ['onnxruntime', 'onednn'] : ['onnxruntime'];

export const describeWithOneDnn: jest.Describe = dnnl.available
  ? describe
  : (((name: string, fn: () => void) => describe.skip(`${name} [SKIPPED: ${dnnl.reason}]`, fn)) as unknown as jest.Describe);

/** Prints, once per file, which oneDNN parity suites could not run. */
export function noteSkippedEngines(): void {
  if (!dnnl.available) describe.skip(`oneDNN engine [SKIPPED: ${dnnl.reason}]`, () => test.todo('oneDNN parity'));
}

export interface LogitsNetwork {
  /** Full logits [N, classes, D, H, W] in C order. */
  logits(data: Float32Array, dims: readonly [number, number, number, number, number]): Promise<Float32Array>;
  close(): Promise<void>;
}

/** A network that returns logits on `engine`: onnxruntime unsplit, oneDNN's backbone followed by its head. */
export async function openLogitsNetwork(engine: EngineName, weights: string, precision: Exclude<Precision, 'int8'> = 'fp32', threads = 2): Promise<LogitsNetwork> {
  const sd = await readTorchStateDict(weights);
  if (engine === 'onnxruntime') {
    const s = await SegResNetSession.open(buildSegResNetOnnx(sd).model, { threads, splitHead: false });
    return { logits: async (data, dims) => (await s.predict({ data, dims })).data, close: () => s.close() };
  }
  const s = await OneDnnSession.open(sd, { threads, precision });
  return {
    logits: async (data, dims) => {
      const [n, , d, h, w] = dims;
      if (n !== 1) throw new RangeError('one window at a time');
      const features = (await s.predict({ data, dims })).data;
      const voxels = d * h * w;
      const withWeights = new Float32Array(features.length + voxels);
      withWeights.set(features);
      withWeights.fill(1, features.length);
      return s.head.apply(withWeights, voxels);
    },
    close: () => s.close(),
  };
}
