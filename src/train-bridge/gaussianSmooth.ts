import { AXES, Axis, Vec3, Volume } from '../core/volume';

/** Abramowitz-Stegun 7.1.26 is too coarse here; this is the Numerical Recipes erfc Chebyshev fit (|error| < 1.2e-7). */
function erf(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r : r - 1;
}

/**
 * MONAI `gaussian_1d(sigma, truncated=4.0, approx="erf", normalize=False)`: taps -tail..tail with
 * tail = int(max(sigma*4, 0.5) + 0.5), value 0.5*(erf((x+0.5)t) - erf((x-0.5)t)), t = 0.70710678/sigma.
 */
export function gaussianKernel1d(sigma: number): Float32Array {
  if (!(sigma > 0)) throw new RangeError(`GaussianSmooth sigma must be > 0, got ${sigma}`);
  const tail = Math.trunc(Math.max(sigma * 4, 0.5) + 0.5);
  const t = 0.70710678 / sigma;
  return Float32Array.from({ length: 2 * tail + 1 }, (_, n) => {
    const x = n - tail;
    return Math.max(0, 0.5 * (erf(t * (x + 0.5)) - erf(t * (x - 0.5))));
  });
}

/** Zero-padded 1-D correlation of every line along `axis` (0 = i, fastest) of an i-fastest array. */
function filterAxis(src: Float32Array, shape: Vec3, axis: Axis, kernel: Float32Array): Float32Array {
  const out = new Float32Array(src.length);
  const tail = (kernel.length - 1) / 2;
  const stride = axis === 0 ? 1 : axis === 1 ? shape[0] : shape[0] * shape[1];
  const n = shape[axis];
  const lines = src.length / n;
  for (let line = 0; line < lines; line++) {
    const base = axis === 0 ? line * n : axis === 1 ? (line % shape[0]) + Math.floor(line / shape[0]) * shape[0] * n : line;
    for (let p = 0; p < n; p++) {
      let acc = 0;
      const lo = Math.max(0, p - tail);
      const hi = Math.min(n - 1, p + tail);
      // 0 <= q - p + tail < kernel.length, and q < n keeps the voxel on this line of src.
      for (let q = lo; q <= hi; q++) acc += kernel[q - p + tail]! * src[base + q * stride]!;
      out[base + p * stride] = acc;
    }
  }
  return out;
}

/** MONAI `GaussianSmooth(sigma)`: separable erf kernel (not normalised), zero padding, on an image volume. */
export function gaussianSmooth(volume: Volume<Float32Array>, sigma: number): Volume<Float32Array> {
  const kernel = gaussianKernel1d(sigma);
  let data = volume.data;
  for (const axis of AXES) data = filterAxis(data, volume.shape, axis, kernel);
  return { ...volume, data };
}
