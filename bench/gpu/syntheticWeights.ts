import { expectedParameters, type SegResNetSpec } from '../../src/model/segresnetSpec';
import { seededRandom } from '../../src/train-bridge/windows';
import { type Float32Tensor, type StateDict, numel } from '../../src/weights/tensor';

/** The bundle's network (spec/wholebody-bundle.md): init_filters 32, blocks_down [1,2,2,4], blocks_up [1,1,1], 105 classes. */
export const BUNDLE_SPEC: SegResNetSpec = { inChannels: 1, outChannels: 105, initFilters: 32, blocksDown: [1, 2, 2, 4], blocksUp: [1, 1, 1] };

/**
 * Seeded weights of the bundle's size and layout, for timing where neither the real model nor the oracle's 75 MB
 * seed-0 weights can be had (the GPU machine takes 64 MiB of files): torch's default initialisation scale (convolutions
 * uniform in +-1/sqrt(fan_in)), GroupNorm scale and shift drawn near 1 and 0 so that no layer is an identity.
 */
export function syntheticBundleWeights(seed = 0, spec: SegResNetSpec = BUNDLE_SPEC): StateDict {
  const random = seededRandom(seed);
  const sd = new Map<string, Float32Tensor>();
  for (const [key, shape] of expectedParameters(spec)) {
    const data = new Float32Array(numel(shape));
    if (shape.length === 5) {
      const bound = 1 / Math.sqrt(numel(shape.slice(1)));
      for (let i = 0; i < data.length; i++) data[i] = (2 * random() - 1) * bound;
    } else {
      const centre = key.endsWith('.weight') ? 1 : 0;
      for (let i = 0; i < data.length; i++) data[i] = centre + (random() - 0.5) * 0.2;
    }
    sd.set(key, { shape, data });
  }
  return sd;
}
