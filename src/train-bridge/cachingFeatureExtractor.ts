import { createHash } from 'node:crypto';
import { Dims3, FeatureExtractor } from './featureExtractor';

/**
 * Memoises a frozen FeatureExtractor by window content (SHA-1 of the voxels and dims), least recently used first out
 * once `budgetBytes` is exceeded. Head-only training revisits the same windows (every validation; every step when a
 * volume is no larger than the roi), and the frozen part is by far the expensive one.
 */
export class CachingFeatureExtractor implements FeatureExtractor {
  private readonly cache = new Map<string, Float32Array>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(
    private readonly inner: FeatureExtractor,
    private readonly budgetBytes = 1 << 30,
  ) {}

  get channels(): number {
    return this.inner.channels;
  }

  async extract(window: Float32Array, dims: Dims3): Promise<Float32Array> {
    const key = createHash('sha1').update(dims.join(',')).update(new Uint8Array(window.buffer, window.byteOffset, window.byteLength)).digest('hex');
    const hit = this.cache.get(key);
    if (hit) {
      this.hits++;
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    this.misses++;
    const features = await this.inner.extract(window, dims);
    if (features.byteLength <= this.budgetBytes) {
      this.cache.set(key, features);
      this.bytes += features.byteLength;
      for (const [k, v] of this.cache) {
        if (this.bytes <= this.budgetBytes) break;
        this.cache.delete(k);
        this.bytes -= v.byteLength;
      }
    }
    return features;
  }

  async dispose(): Promise<void> {
    this.cache.clear();
    this.bytes = 0;
    await this.inner.dispose?.();
  }
}
