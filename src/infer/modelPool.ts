import { nativeBlendKernel } from '../model/dnnl/onednnAddon';
import { defaultThreads } from '../model/cpuSessionOptions';
import { openSegmentationNetwork, type NetworkOptions } from '../model/openNetwork';
import type { BlendKernel } from './slidingWindow/slidingWindowInference';
import type { Device, EngineChoice, Precision, SegmentationNetwork } from '../model/segmentationNetwork';

/** Open networks by weights path and precision, so consecutive jobs on the same model skip the load. */
export class ModelPool {
  private readonly sessions = new Map<string, Promise<SegmentationNetwork>>();

  constructor(private readonly opts: { threads?: number; maxOpen?: number; engine?: EngineChoice } = {}) {}

  /** `device: 'webgpu'` runs the network on onnxruntime's WebGPU provider, whatever the pool's engine. */
  get(weightsPath: string, precision: Precision = 'fp32', device: Device = 'cpu'): Promise<SegmentationNetwork> {
    const key = `${device}:${precision}:${weightsPath}`;
    let s = this.sessions.get(key);
    if (!s) {
      const options: NetworkOptions = { threads: this.opts.threads, engine: device === 'webgpu' ? 'webgpu' : this.opts.engine, precision };
      s = openSegmentationNetwork(weightsPath, options);
      s.catch(() => this.sessions.delete(key));
      // Highres and lowres both fit; anything beyond is evicted oldest first.
      while (this.sessions.size >= (this.opts.maxOpen ?? 2)) {
        const [oldest, session] = this.sessions.entries().next().value as [string, Promise<SegmentationNetwork>];
        this.sessions.delete(oldest);
        void session.then((x) => x.close()).catch(() => undefined);
      }
      this.sessions.set(key, s);
    }
    return s;
  }

  /** The addon's blend, on as many threads as the networks, when the addon loads. */
  blendKernel(): BlendKernel | undefined {
    return nativeBlendKernel(this.opts.threads ?? defaultThreads());
  }

  async clear(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.then((x) => x.close()).catch(() => undefined)));
  }
}
