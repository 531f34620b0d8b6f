import { normalizeNonzero, scaleIntensity } from '../../src/transforms';
import { makeVolume } from '../../src/core/volume';

const vol = (values: number[]) => makeVolume(Float32Array.from(values), [values.length, 1, 1], [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]]);

describe('normalizeNonzero (NormalizeIntensityd nonzero=True)', () => {
  it('z-scores the nonzero voxels with the population std and keeps zeros at 0', () => {
    const out = normalizeNonzero(vol([0, 1, 2, 3, 0, 6]));
    // nonzero: 1, 2, 3, 6 -> mean 3, population std sqrt(14/4), held as a float32 as torch holds it
    const std = Math.fround(Math.sqrt(3.5));
    expect(Array.from(out.data)).toEqual([0, -2 / std, -1 / std, 0, 0, 3 / std].map(Math.fround));
  });

  it('divides by 1 when the nonzero voxels are constant, and leaves an all-zero volume alone', () => {
    expect(Array.from(normalizeNonzero(vol([0, 5, 5])).data)).toEqual([0, 0, 0]);
    expect(Array.from(normalizeNonzero(vol([0, 0])).data)).toEqual([0, 0]);
  });

  it('does not modify its input unless asked to', () => {
    const input = vol([1, 2, 3]);
    normalizeNonzero(input);
    expect(Array.from(input.data)).toEqual([1, 2, 3]);
    const inPlace = normalizeNonzero(input, { inPlace: true });
    expect(inPlace.data).toBe(input.data);
    expect(Array.from(input.data)).not.toEqual([1, 2, 3]);
  });
});

describe('scaleIntensity (ScaleIntensityd -1..1)', () => {
  it('maps the global min to -1 and max to 1', () => {
    expect(Array.from(scaleIntensity(vol([-2, 0, 2, 6])).data)).toEqual([-1, -0.5, 0, 1]);
  });

  it('multiplies a constant volume by minv', () => {
    expect(Array.from(scaleIntensity(vol([3, 3])).data)).toEqual([-3, -3]);
    expect(Array.from(scaleIntensity(vol([3, 3]), 0, 1).data)).toEqual([0, 0]);
  });
});
