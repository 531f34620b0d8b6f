import { readTorchStateDict } from '../../weights/readTorchStateDict';
import type { StateDict } from '../../weights/tensor';
import { defaultThreads } from '../cpuSessionOptions';
import { PointwiseHeadSession } from '../pointwiseHeadSession';
import type { Batch5d, Precision, SegmentationNetwork } from '../segmentationNetwork';
import { oneDnn, type NativeNetwork, type OneDnnAddon } from './onednnAddon';
import { buildSegResNetPlan, type SegResNetPlan } from './segresnetPlan';

export interface OneDnnSessionOptions {
  readonly threads?: number;
  readonly precision?: Precision;
  /** As SegResNetSession's: true (default) leaves the pointwise head to `head`; false puts it in the network. */
  readonly splitHead?: boolean;
}

/**
 * The SegResNet backbone on oneDNN primitives (native/dnnl), with the pointwise head split off and applied by
 * onnxruntime after blending, like SegResNetSession. Measured on a 2-vCPU Intel Xeon (AMX), one 96^3 window of the
 * bundle-size model: onnxruntime 4.7 s, oneDNN fp32 2.0 s (channels-last brgconv; the nCdhw16c blocked layout ran
 * 5.5 s, its 8-channel convolutions fell back to the reference kernel), oneDNN bf16 0.5 s.
 */
export class OneDnnSession implements SegmentationNetwork {
  readonly engine = 'onednn';
  readonly description: string;
  /** Window sides must be multiples of this: every level halves them. */
  private readonly minSide: number;
  private running: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly addon: OneDnnAddon,
    private readonly network: NativeNetwork,
    private readonly plan: SegResNetPlan,
    readonly precision: Precision,
    private readonly threads: number,
    readonly head: PointwiseHeadSession | undefined,
    version: string,
  ) {
    this.description = `onednn ${version}, ${precision}`;
    this.minSide = 2 ** (plan.spec.blocksDown.length - 1);
  }

  static async open(weights: string | StateDict, opts: OneDnnSessionOptions = {}): Promise<OneDnnSession> {
    const dnnl = oneDnn();
    if (!dnnl.available) throw new Error(dnnl.reason);
    const sd = typeof weights === 'string' ? await readTorchStateDict(weights) : weights;
    const split = opts.splitHead ?? true;
    const plan = buildSegResNetPlan(sd, { withHead: !split });
    const precision = opts.precision ?? 'fp32';
    const threads = opts.threads ?? defaultThreads();
    const network = dnnl.addon.createNetwork({ precision, layout: 'nxc', buffers: plan.buffers, input: plan.input, output: plan.output, ops: plan.ops });
    const { outChannels, initFilters, inChannels } = plan.spec;
    const head = split
      ? await PointwiseHeadSession.open({ inChannels: initFilters, outChannels, weight: sd.get('conv_final.2.conv.weight')!.data, bias: sd.get('conv_final.2.conv.bias')!.data }, threads)
      : undefined;
    const session = new OneDnnSession(dnnl.addon, network, plan, precision, threads, head, `${dnnl.onednn} ${dnnl.isa}`);
    // Builds every primitive once on the smallest window the network takes, so an unsupported precision on this
    // CPU (bf16 without AVX512-BF16 or AMX) fails here with oneDNN's reason, not in the middle of a request.
    const side = session.minSide;
    try {
      await session.predict({ data: new Float32Array(inChannels * side ** 3), dims: [1, inChannels, side, side, side] });
    } catch (e) {
      await session.close();
      throw new Error(`oneDNN cannot run ${precision} on this CPU (${dnnl.isa}): ${(e as Error).message}`);
    }
    return session;
  }

  /** Returns the head's input, [N, init_filters, D, H, W] (or the logits, unsplit); sides must be multiples of 2^(levels-1). */
  predict(batch: Batch5d): Promise<Batch5d> {
    const [n, c, d, h, w] = batch.dims;
    const side = this.minSide;
    if (c !== this.plan.spec.inChannels) return Promise.reject(new RangeError(`the network takes ${this.plan.spec.inChannels} input channel(s), got ${c}`));
    if ([d, h, w].some((x) => x % side !== 0)) return Promise.reject(new RangeError(`window ${d}x${h}x${w}: each side must be a multiple of ${side}`));
    // The addon runs one batch at a time per network; queue here rather than fail.
    const run = this.running.then(() => this.addon.run(this.network, batch.data, batch.dims, this.threads));
    this.running = run.catch(() => undefined);
    return run.then((data) => ({ data, dims: [n, this.plan.outputChannels, d, h, w] as const }));
  }

  /** The implementation oneDNN picked per primitive (e.g. "brgconv:avx512_core_amx"), for the benchmark. */
  implementations(): string[] {
    return this.addon.implementations(this.network);
  }

  async close(): Promise<void> {
    await this.running;
    this.addon.release(this.network);
    await this.head?.close();
  }
}
