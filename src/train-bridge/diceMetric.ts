/**
 * MONAI `DiceMetric(include_background=False, ignore_empty=True)` for one label map: Dice of every foreground class
 * present in the ground truth (absent ones are NaN in MONAI and skipped), and their mean (NaN when there is none).
 */
export function foregroundDice(pred: Uint8Array, truth: Uint8Array): { mean: number; perClass: Map<number, number> } {
  if (pred.length !== truth.length) throw new RangeError(`prediction has ${pred.length} voxels, ground truth ${truth.length}`);
  const inter = new Float64Array(256);
  const predCount = new Float64Array(256);
  const truthCount = new Float64Array(256);
  // i < pred.length = truth.length, and a uint8 value indexes the 256 counters.
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i]!;
    const t = truth[i]!;
    predCount[p]!++;
    truthCount[t]!++;
    if (p === t) inter[p]!++;
  }
  const perClass = new Map<number, number>();
  let sum = 0;
  for (let c = 1; c < 256; c++) {
    const t = truthCount[c]!; // c < 256
    if (t === 0) continue;
    const d = (2 * inter[c]!) / (predCount[c]! + t);
    perClass.set(c, d);
    sum += d;
  }
  return { mean: perClass.size ? sum / perClass.size : NaN, perClass };
}

/** MONAI's "mean" reduction over images: the mean of the per-image means that are defined. */
export function meanOverImages(means: readonly number[]): number {
  const defined = means.filter((m) => !Number.isNaN(m));
  return defined.length ? defined.reduce((a, b) => a + b, 0) / defined.length : NaN;
}
