import { Mat4, Vec3, makeVolume } from '../../src/core/volume';
import { cropToBox, foregroundBox } from '../../src/train-bridge/cropForeground';
import { foregroundDice, meanOverImages } from '../../src/train-bridge/diceMetric';
import { gaussianKernel1d, gaussianSmooth } from '../../src/train-bridge/gaussianSmooth';
import { centerCropBox, extractWindow, randomCropStart, seededRandom } from '../../src/train-bridge/windows';
import { maxAbsDiff } from '../helpers/oracle';

const AFFINE: Mat4 = [
  [-2, 0, 0, 10],
  [0, 3, 0, -5],
  [0, 0, 1.5, 7],
  [0, 0, 0, 1],
];

/** A volume whose voxel (i, j, k) holds f(i, j, k). */
function volumeOf(shape: Vec3, f: (i: number, j: number, k: number) => number) {
  const data = new Float32Array(shape[0] * shape[1] * shape[2]);
  for (let k = 0; k < shape[2]; k++) for (let j = 0; j < shape[1]; j++) for (let i = 0; i < shape[0]; i++) data[i + shape[0] * (j + shape[1] * k)] = f(i, j, k);
  return makeVolume(data, shape, AFFINE);
}

describe('GaussianSmooth (MONAI gaussian_1d erf, truncated 4, not normalised, zero padding)', () => {
  test('sigma 0.4 kernel equals torch/MONAI to float32 rounding', () => {
    // torch 1.13: MONAI's gaussian_1d(torch.tensor(0.4), 4.0, "erf", False)
    const torch = [8.842349052429199e-5, 0.10556134581565857, 0.7887004613876343, 0.10556134581565857, 8.842349052429199e-5];
    const k = gaussianKernel1d(0.4);
    expect(k.length).toBe(5);
    expect(maxAbsDiff(k, torch)).toBeLessThan(2e-7);
  });

  test('3-D smoothing of a [5,4,3] volume equals torch conv3d with zero padding', () => {
    // v[x,y,z] = (flat torch index)^1.3 % 7, smoothed separably with F.conv3d after F.pad (torch 1.13)
    const v = volumeOf([5, 4, 3], (i, j, k) => Math.fround(Math.fround(Math.pow((i * 4 + j) * 3 + k, 1.3)) % 7));
    const out = gaussianSmooth(v, 0.4);
    const firstTen = [0.728877, 1.192599, 1.634989, 3.163654, 4.063647, 1.580559, 2.752424, 4.239861, 1.223605, 2.612383];
    firstTen.forEach((ref, t) => {
      const [i, j, k] = [Math.floor(t / 12), Math.floor(t / 3) % 4, t % 3];
      expect(Math.abs(out.data[i + 5 * (j + 4 * k)]! - ref)).toBeLessThan(1e-5); // inside [5, 4, 3]
    });
    expect(Math.abs(out.data.reduce((a, b) => a + b, 0) - 179.70875549316406)).toBeLessThan(1e-3);
    expect(out.affineRas).toBe(v.affineRas);
  });

  test('sigma must be positive', () => {
    expect(() => gaussianKernel1d(0)).toThrow(/sigma/);
  });
});

describe('CropForeground (margin, k_divisible, allow_smaller) and crop/pad', () => {
  const image = volumeOf([20, 5, 6], (i, j, k) => (i >= 6 && i <= 8 && j === 2 && k >= 1 && k <= 4 ? 1 : -1));

  test('box: margin clipped to the image, then grown to k_divisible around its centre (may leave the image)', () => {
    const box = foregroundBox(image, 2, [8, 8, 4]);
    // axis 0: [6-2, 8+3) = [4, 11), 7 -> 8: start 4 - 0; axis 1: [0, 5) -> 8: start -1; axis 2: [0, 6) -> 8: start -1
    expect(box).toEqual({ start: [4, -1, -1], end: [12, 7, 7] });
  });

  test('crop pads outside the image with 0 and moves the affine with the first voxel', () => {
    const box = foregroundBox(image, 2, [8, 8, 4]);
    const out = cropToBox(image, box);
    expect(out.shape).toEqual([8, 8, 8]);
    const at = (i: number, j: number, k: number) => out.data[i + 8 * (j + 8 * k)];
    expect(at(0, 0, 0)).toBe(0); // j = -1: padding
    expect(at(0, 1, 1)).toBe(-1); // image voxel (4, 0, 0)
    expect(at(2, 3, 2)).toBe(1); // image voxel (6, 2, 1)
    expect(out.affineRas[0][3]).toBe(10 + -2 * 4);
    expect(out.affineRas[1][3]).toBe(-5 + 3 * -1);
    expect(out.affineRas[2][3]).toBe(7 + 1.5 * -1);
  });

  test('an image without foreground is an error', () => {
    expect(() => foregroundBox(volumeOf([4, 4, 4], () => -1), 10, [96, 96, 96])).toThrow(/no voxel above 0/);
  });

  test('labels crop with the same box and keep their type', () => {
    const label = makeVolume(Uint8Array.from(image.data, (v) => (v > 0 ? 3 : 0)), image.shape, AFFINE);
    const out = cropToBox(label, foregroundBox(image, 2, [8, 8, 4]));
    expect(out.data).toBeInstanceOf(Uint8Array);
    expect(out.data.reduce((a, b) => a + b, 0)).toBe(3 * 12);
  });
});

describe('windows', () => {
  test('extractWindow gives C order [i, j, k] with k fastest (the network input layout)', () => {
    const v = volumeOf([4, 3, 5], (i, j, k) => 100 * i + 10 * j + k);
    const w = extractWindow(v, [1, 1, 2], [2, 2, 3]);
    expect(Array.from(w)).toEqual([112, 113, 114, 122, 123, 124, 212, 213, 214, 222, 223, 224]);
    expect(() => extractWindow(v, [3, 0, 0], [2, 2, 2])).toThrow(/leaves the volume/);
  });

  test('random crops stay inside and are reproducible per seed; centre crop as MONAI CenterSpatialCrop', () => {
    const a = seededRandom(123);
    const b = seededRandom(123);
    for (let n = 0; n < 50; n++) {
      const s = randomCropStart([100, 96, 130], [96, 96, 96], a);
      expect(s).toEqual(randomCropStart([100, 96, 130], [96, 96, 96], b));
      expect(s[0]).toBeLessThanOrEqual(4);
      expect(s[1]).toBe(0);
      expect(s[2]).toBeLessThanOrEqual(34);
    }
    expect(() => randomCropStart([50, 96, 96], [96, 96, 96], a)).toThrow(/smaller than the training roi/);
    expect(centerCropBox([192, 100, 288], [160, 160, 160])).toEqual({ start: [16, 0, 64], end: [176, 100, 224] });
  });
});

describe('validation Dice (DiceMetric include_background=False, ignore_empty=True)', () => {
  test.each([
    ['perfect', [0, 1, 1, 2], [0, 1, 1, 2], 1],
    ['half', [0, 1, 0, 0], [0, 1, 1, 0], 2 / 3],
    ['class absent from the truth is ignored', [0, 1, 3, 3], [0, 1, 0, 0], 1],
    ['background only: undefined', [0, 1, 0], [0, 0, 0], NaN],
  ])('%s', (_n, pred, truth, expected) => {
    const { mean } = foregroundDice(Uint8Array.from(pred), Uint8Array.from(truth));
    if (Number.isNaN(expected)) expect(mean).toBeNaN();
    else expect(mean).toBeCloseTo(expected, 12);
  });

  test('mean over images skips undefined ones', () => {
    expect(meanOverImages([0.5, NaN, 1])).toBe(0.75);
    expect(meanOverImages([NaN])).toBeNaN();
  });
});
