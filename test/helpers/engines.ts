import { buildSegResNetOnnx } from '../../src/model/buildSegResNetOnnx';
import { oneDnn } from '../../src/model/dnnl/onednnAddon';
import { OneDnnSession } from '../../src/model/dnnl/oneDnnSession';
import type { EngineName, Precision } from '../../src/model/segmentationNetwork';
import { SegResNetSession } from '../../src/model/segresnetSession';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import { networkLogits } from '../../src/model/networkLogits';

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

/** A network that returns logits on `engine`, the head inside the network on both. */
export async function openLogitsNetwork(engine: EngineName, weights: string, precision: Precision = 'fp32', threads = 2): Promise<LogitsNetwork> {
  const sd = await readTorchStateDict(weights);
  const network = engine === 'onnxruntime' ? await SegResNetSession.open(buildSegResNetOnnx(sd).model, { threads, splitHead: false }) : await OneDnnSession.open(sd, { threads, precision, splitHead: false });
  return { logits: (data, dims) => networkLogits(network, { data, dims }), close: () => network.close() };
}
