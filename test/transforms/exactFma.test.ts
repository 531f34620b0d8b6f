import { exactFma } from '../../src/transforms/exactFma';

describe('exactFma (one rounding, as a hardware fused multiply-add)', () => {
  // Expected values: Python's Fraction arithmetic rounded once to a double.
  test.each([
    [0.1, 3, -0.3, 2.7755575615628914e-17],
    [2 / 107, 23, -1, -0.5700934579439253], // torch.linspace(-1, 1, 108)[23] on AVX2; unfused gives ...252
    [1 / 3, 3, -1, -5.551115123125783e-17],
    [1e16, 1.0000000000000002, -1e16, 2.220446049250313],
    [0.7, 0.7, -0.49, -5.329070518200751e-17],
    [0, 5, 1.5, 1.5],
    [3, 0.5, 0, 1.5],
  ])('fma(%p, %p, %p) = %p', (a, b, c, expected) => {
    expect(exactFma(a, b, c)).toBe(expected);
  });

  test('refuses non-finite input', () => {
    expect(() => exactFma(Infinity, 1, 0)).toThrow(/non-finite/);
  });
});
