/** A finite double as an exact integer times a power of two. */
function decompose(x: number): { m: bigint; e: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const sign = hi >>> 31 ? -1n : 1n;
  const biased = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0x7ff) throw new Error(`fma of a non-finite value ${x}`);
  return biased === 0 ? { m: sign * frac, e: -1074 } : { m: sign * (frac | (1n << 52n)), e: biased - 1075 };
}

/**
 * a * b + c with a single rounding, like the fused multiply-add that compilers emit for `c + a * b` in PyTorch's
 * vectorised (AVX2) kernels. JavaScript has no Math.fma; this is exact via BigInt (for the few values per axis that
 * need it, not for hot loops). Assumes the result is a normal number.
 */
export function exactFma(a: number, b: number, c: number): number {
  const [x, y, z] = [decompose(a), decompose(b), decompose(c)];
  const ep = x.e + y.e;
  if (z.m === 0n || x.m === 0n || y.m === 0n) return a * b + c; // one rounding at most
  const e = Math.min(ep, z.e);
  const sum = ((x.m * y.m) << BigInt(ep - e)) + (z.m << BigInt(z.e - e));
  // Number(bigint) rounds to nearest, ties to even; scaling by powers of two is then exact (in two steps, so that
  // no factor underflows).
  const half = Math.trunc(e / 2);
  return Number(sum) * 2 ** half * 2 ** (e - half);
}
