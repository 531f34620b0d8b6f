import { mapVec3, type Vec3 } from '../../core/volume';

/**
 * MONAI 1.4.0 `compute_importance_map(mode="gaussian")`: the separable, unnormalised Gaussian
 * exp(-x^2 / (2 sigma^2)) with x = -(n-1)/2 .. (n-1)/2 and sigma = sigma_scale * n, multiplied out in float32
 * (first axis outermost), then clamped from below at max(min(map), 1e-3). C order: the last axis is fastest.
 */
export function gaussianImportanceMap(roi: Vec3, sigmaScale = 0.125): Float32Array {
  const axes = mapVec3(roi, (n) => {
    const sigma = n * sigmaScale;
    const g = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const x = Math.fround(-(n - 1) / 2 + i);
      g[i] = Math.exp(Math.fround(Math.fround(x * x) / Math.fround(-2 * sigma * sigma)));
    }
    return g;
  });
  const [a, b, c] = axes;
  const map = new Float32Array(roi[0] * roi[1] * roi[2]);
  let min = Infinity;
  for (let i = 0, o = 0; i < roi[0]; i++) {
    for (let j = 0; j < roi[1]; j++) {
      const ab = Math.fround(a[i]! * b[j]!);
      for (let k = 0; k < roi[2]; k++, o++) {
        const v = Math.fround(ab * c[k]!);
        map[o] = v;
        if (v < min) min = v;
      }
    }
  }
  const floor = Math.fround(Math.max(min, 1e-3));
  for (let o = 0; o < map.length; o++) if (map[o]! < floor) map[o] = floor;
  return map;
}
