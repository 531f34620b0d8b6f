import * as fs from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { SEGRESNET_IO } from './buildSegResNetOnnx';
import { cpuSessionOptions, defaultThreads } from './cpuSessionOptions';
import { PointwiseHeadSession } from './pointwiseHeadSession';
import { splitPointwiseHead } from './splitPointwiseHead';
import type { Batch5d, Device, EngineName, SegmentationNetwork } from './segmentationNetwork';

export interface SessionOptions {
  /** Intra-op threads; default all cores. */
  readonly threads?: number;
  /**
   * Run the final pointwise convolution separately (`head`), so that `predict` returns its input (32 channels for
   * the bundle) and callers blend before the head: default true. False makes `predict` return the logits.
   */
  readonly splitHead?: boolean;
  /** onnxruntime's execution provider: its CPU one (default) or WebGPU (the head stays on the CPU). */
  readonly device?: Device;
}


/**
 * onnxruntime session over a SegResNet graph: one `predict` call per batch of windows.
 *
 * onnxruntime-node runs the model synchronously on the calling thread (inside a setImmediate), so sessions belong in
 * a worker thread. Outputs come back in a fresh array each time (a pre-allocated output is copied out anyway,
 * measured with onnxruntime-node 1.30): 371 MB of logits per 96^3 window, or 113 MB of head input when split.
 */
export class SegResNetSession implements SegmentationNetwork {
  readonly precision = 'fp32';
  readonly engine: EngineName;
  readonly description: string;

  private constructor(
    device: Device,
    private readonly session: ort.InferenceSession,
    private readonly outputName: string,
    /** The final 1x1 convolution, when split off: apply it to blended `predict` outputs. */
    readonly head: PointwiseHeadSession | undefined,
  ) {
    this.engine = device === 'webgpu' ? 'webgpu' : 'onnxruntime';
    this.description = `onnxruntime ${ort.env.versions.node ?? '?'} ${device}, fp32`;
  }

  static async open(model: string | Uint8Array, opts: SessionOptions = {}): Promise<SegResNetSession> {
    const threads = opts.threads ?? defaultThreads();
    const device = opts.device ?? 'cpu';
    const options: ort.InferenceSession.SessionOptions = { ...cpuSessionOptions(threads), ...(device === 'webgpu' && { executionProviders: ['webgpu'] }) };
    const bytes = typeof model === 'string' ? await fs.readFile(model) : model;
    const split = opts.splitHead === false ? undefined : splitPointwiseHead(bytes);
    const session = await ort.InferenceSession.create(split?.backbone ?? bytes, options);
    const outputName = split?.backboneOutput ?? SEGRESNET_IO.output;
    if (!session.inputNames.includes(SEGRESNET_IO.input) || !session.outputNames.includes(outputName)) {
      await session.release();
      throw new Error(`ONNX model has inputs [${session.inputNames.join(',')}] / outputs [${session.outputNames.join(',')}]; expected "${SEGRESNET_IO.input}" -> "${SEGRESNET_IO.output}" (convert it with \`wbct convert\`)`);
    }
    const head = split ? await PointwiseHeadSession.open(split.head, threads) : undefined;
    return new SegResNetSession(device, session, outputName, head);
  }

  /** Runs the network: [N, classes, D, H, W] logits, or [N, head inputs, D, H, W] when `head` is set (C order). */
  async predict(batch: Batch5d): Promise<Batch5d> {
    const input = new ort.Tensor('float32', batch.data, [...batch.dims]);
    const out = await this.session.run({ [SEGRESNET_IO.input]: input }, [this.outputName]);
    const result = out[this.outputName];
    if (!result) throw new Error(`the ONNX session returned no "${this.outputName}"`);
    const [n, c, d, h, w, ...more] = result.dims;
    if (n === undefined || c === undefined || d === undefined || h === undefined || w === undefined || more.length > 0) {
      throw new Error(`ONNX output "${this.outputName}" has dims [${result.dims.join(', ')}]; expected [N, C, D, H, W]`);
    }
    return { data: result.data as Float32Array, dims: [n, c, d, h, w] };
  }

  async close(): Promise<void> {
    await Promise.all([this.session.release(), this.head?.close()]);
  }
}
