import { planSpacing, resampleToSpacing, resampleToSpacingNearest, undoSpacingNearest } from '../../src/transforms';
import { makeVolume, type Mat4, type Vec3 } from '../../src/core/volume';

const RAS_2MM: Mat4 = [[2, 0, 0, -10], [0, 2, 0, 5], [0, 0, 2, 7], [0, 0, 0, 1]];

describe('resampleToSpacing (MONAI Spacingd, bilinear, border)', () => {
  it.each([
    // out_n = round((n - 1) * s_in / s_out + 1), halves to even as numpy rounds
    [[4, 5, 6], [1, 1, 1], 2, [2, 3, 4]],
    [[108, 10, 3], [1.5, 1, 1], 3, [54, 4, 2]],
    [[256, 256, 108], [0.9570312, 0.9570312, 1.5], 1.5, [164, 164, 108]],
    [[512, 512, 397], [0.84, 0.84, 1.5], 1.5, [287, 287, 397]],
  ] as const)('shape %j at spacing %j -> %s mm gives %j', (shape, spacing, target, expected) => {
    const affine: Mat4 = [[spacing[0], 0, 0, 0], [0, spacing[1], 0, 0], [0, 0, spacing[2], 0], [0, 0, 0, 1]];
    expect(planSpacing(shape as unknown as Vec3, affine, [target, target, target]).outShape).toEqual(expected);
  });

  it('keeps the first voxel in place and interpolates a linear image exactly', () => {
    const shape: Vec3 = [9, 7, 5];
    const f = (x: number, y: number, z: number) => 3 * x - 2 * y + 0.5 * z + 100;
    const data = new Float32Array(9 * 7 * 5);
    for (let k = 0; k < 5; k++) for (let j = 0; j < 7; j++) for (let i = 0; i < 9; i++) data[i + 9 * (j + 7 * k)] = f(2 * i - 10, 2 * j + 5, 2 * k + 7);
    const { volume } = resampleToSpacing(makeVolume(data, shape, RAS_2MM), [1.5, 1.2, 1.5]);
    expect(volume.shape).toEqual([12, 11, 6]);
    expect(volume.affineRas.map((r) => r[3])).toEqual([-10, 5, 7, 1]);
    const [nx, ny, nz] = volume.shape;
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      const a = volume.affineRas;
      // Border padding clamps samples past the last input voxel centre (x <= 6, y <= 17, z <= 15).
      const x = Math.min(a[0][0] * i + a[0][3], 6);
      const y = Math.min(a[1][1] * j + a[1][3], 17);
      const z = Math.min(a[2][2] * k + a[2][3], 15);
      expect(Math.abs(volume.data[i + nx * (j + ny * k)]! - f(x, y, z))).toBeLessThan(1e-3); // inside the shape
    }
  });

  it('leaves a volume already at the target spacing untouched (within MONAI AFFINE_TOL)', () => {
    const affine: Mat4 = [[1.0004, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0.9995, 0], [0, 0, 0, 1]];
    const input = makeVolume(new Float32Array(24).map((_, i) => i), [4, 3, 2], affine);
    const { volume, record } = resampleToSpacing(input, 1);
    expect(record.unchanged).toBe(true);
    expect(volume.data).toBe(input.data);
    expect(volume.affineRas).toEqual(affine);
  });

  it('nearest mode (labels) uses the same grid and keeps the array type', () => {
    const labels = makeVolume(new Uint8Array(10 * 6 * 4).map((_, v) => v % 10), [10, 6, 4], RAS_2MM);
    const image = makeVolume(new Float32Array(10 * 6 * 4), [10, 6, 4], RAS_2MM);
    const { volume } = resampleToSpacingNearest(labels, 1);
    const bilinear = resampleToSpacing(image, 1).volume;
    expect(volume.shape).toEqual(bilinear.shape);
    expect(volume.affineRas).toEqual(bilinear.affineRas);
    expect(volume.data).toBeInstanceOf(Uint8Array);
    // Output voxel 2i sits on input voxel i.
    for (let i = 0; i < 10; i++) expect(volume.data[2 * i]).toBe(i);
  });

  it('rejects a non-positive target spacing', () => {
    expect(() => resampleToSpacing(makeVolume(new Float32Array(8), [2, 2, 2], RAS_2MM), 0)).toThrow(/spacing must be positive/);
  });
});

describe('undoSpacingNearest (Invertd, nearest_interp)', () => {
  it('returns the original shape and affine exactly and picks the nearest resampled voxel', () => {
    const input = makeVolume(new Float32Array(10 * 6 * 4), [10, 6, 4], RAS_2MM);
    const { volume, record } = resampleToSpacing(input, 1);
    expect(volume.shape).toEqual([19, 11, 7]);
    // Labels on the 1 mm grid; original voxel i sits exactly on resampled voxel 2i.
    const labels = new Uint8Array(19 * 11 * 7).map((_, v) => {
      const [i, j, k] = [v % 19, Math.floor(v / 19) % 11, Math.floor(v / 209)];
      return (i % 2 === 0 && j % 2 === 0 && k % 2 === 0) ? (i / 2 + 10 * (j / 2) + 60 * (k / 2)) % 256 : 255;
    });
    const back = undoSpacingNearest(makeVolume(labels, volume.shape, volume.affineRas), record);
    expect(back.shape).toEqual([10, 6, 4]);
    expect(back.affineRas).toEqual(RAS_2MM);
    expect(back.data).toBeInstanceOf(Uint8Array);
    for (let v = 0; v < back.data.length; v++) {
      const [i, j, k] = [v % 10, Math.floor(v / 10) % 6, Math.floor(v / 60)];
      expect(back.data[v]).toBe((i + 10 * j + 60 * k) % 256);
    }
  });

  it('is the identity when the spacing did not change', () => {
    const input = makeVolume(new Float32Array(24), [4, 3, 2], RAS_2MM);
    const { record } = resampleToSpacing(input, 2);
    const labels = makeVolume(new Uint8Array(24).map((_, i) => i), [4, 3, 2], RAS_2MM);
    expect(Array.from(undoSpacingNearest(labels, record).data)).toEqual(Array.from(labels.data));
  });

  it('handles an oblique grid: original shape and affine, labels from the right region', () => {
    const c = Math.cos(0.3), s = Math.sin(0.3);
    const affine: Mat4 = [[0.8 * c, -0.8 * s, 0, 3], [0.8 * s, 0.8 * c, 0, -4], [0, 0, 2.5, 1], [0, 0, 0, 1]];
    const input = makeVolume(new Float32Array(12 * 10 * 4), [12, 10, 4], affine);
    const { volume, record } = resampleToSpacing(input, 1.5);
    const [nx, ny, nz] = volume.shape;
    // Label = which half of the resampled grid along i the voxel is in.
    const labels = new Uint8Array(nx * ny * nz).map((_, v) => ((v % nx) < nx / 2 ? 1 : 2));
    const back = undoSpacingNearest(makeVolume(labels, volume.shape, volume.affineRas), record);
    expect(back.shape).toEqual([12, 10, 4]);
    expect(back.affineRas).toEqual(affine);
    for (let v = 0; v < back.data.length; v++) expect(back.data[v]).toBe(v % 12 < 5 ? 1 : v % 12 > 6 ? 2 : back.data[v]);
  });

  it('refuses a label map that is not on the resampled grid', () => {
    const { record } = resampleToSpacing(makeVolume(new Float32Array(24), [4, 3, 2], RAS_2MM), 1);
    expect(() => undoSpacingNearest(makeVolume(new Uint8Array(24), [4, 3, 2], RAS_2MM), record)).toThrow(/not the resampled shape/);
  });
});
