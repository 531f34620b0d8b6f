import { FINAL_TAG, ORIGINAL_TAG } from '../core/datastore';
import type { DescribedInfo, ScoringMethod, TaskContext } from '../core/tasks';
import type { VolumeReader } from '../core/volumeReader';
import type { JsonObject, JsonValue } from '../core/json';
import type { VoxelArray } from '../core/volume';

export interface LabelDice {
  /** Mean over the label values present in either map (1 when both are empty). */
  readonly mean: number;
  /** Dice per label value (or name, when names are known). */
  readonly labels: Record<string, number>;
}

/** Per-label Dice of two label maps on the same grid: 2|A∩B| / (|A|+|B|) for every value > 0 present in either. */
export function labelDice(a: VoxelArray, b: VoxelArray, names: Readonly<Record<number, string>> = {}): LabelDice {
  if (a.length !== b.length) throw new RangeError(`label maps differ in size (${a.length} vs ${b.length} voxels)`);
  const countA = new Map<number, number>();
  const countB = new Map<number, number>();
  const both = new Map<number, number>();
  // i < a.length = b.length.
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x > 0) countA.set(x, (countA.get(x) ?? 0) + 1);
    if (y > 0) countB.set(y, (countB.get(y) ?? 0) + 1);
    if (x > 0 && x === y) both.set(x, (both.get(x) ?? 0) + 1);
  }
  const values = [...new Set([...countA.keys(), ...countB.keys()])].sort((p, q) => p - q);
  const labels: Record<string, number> = {};
  for (const v of values) labels[names[v] ?? String(v)] = (2 * (both.get(v) ?? 0)) / ((countA.get(v) ?? 0) + (countB.get(v) ?? 0));
  const scores = Object.values(labels);
  return { mean: scores.length ? scores.reduce((s, d) => s + d, 0) / scores.length : 1, labels };
}

/**
 * Agreement of the model's `original` label with the annotator's `final` one for every image having both
 * (tags overridable with `y_pred` / `y`). Each image's mean Dice is also written to its info as `dice`.
 */
export class DiceScoring implements ScoringMethod {
  constructor(
    private readonly readVolume: VolumeReader,
    private readonly labelNames: Readonly<Record<number, string>> = {},
  ) {}

  info(): DescribedInfo {
    return { description: 'Compute Dice between final vs original' };
  }

  async run(request: JsonObject, context: TaskContext): Promise<JsonValue> {
    const yTag = typeof request.y === 'string' ? request.y : FINAL_TAG;
    const predTag = typeof request.y_pred === 'string' ? request.y_pred : ORIGINAL_TAG;
    const { datastore } = context;
    const result: JsonObject = {};
    const { objects } = await datastore.dump();
    for (const [id, { labels }] of Object.entries(objects).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0))) {
      context.signal.throwIfAborted();
      if (!Object.hasOwn(labels, yTag) || !Object.hasOwn(labels, predTag)) continue;
      const y = await this.readVolume(await datastore.labelPath(id, yTag));
      const pred = await this.readVolume(await datastore.labelPath(id, predTag));
      if (y.shape.some((n, i) => n !== pred.shape[i])) {
        context.log(`${id}: skipped, ${predTag} shape [${pred.shape.join(', ')}] differs from ${yTag} shape [${y.shape.join(', ')}]`);
        continue;
      }
      const dice = labelDice(pred.data, y.data, this.labelNames);
      await datastore.updateImageInfo(id, { dice: dice.mean });
      context.log(`${id}: mean Dice ${dice.mean.toFixed(4)} over ${Object.keys(dice.labels).length} labels`);
      result[id] = { mean: dice.mean, labels: dice.labels };
    }
    return result;
  }
}

/** How far a label map departs from a reference on the same grid: the share of equal voxels and per-label Dice. */
export interface LabelAgreement {
  readonly voxelAgreement: number;
  readonly dice: LabelDice;
  /** Structures (names or values) sorted by Dice, lowest first, with the reference's voxel count. */
  readonly worst: ReadonlyArray<{ readonly label: string; readonly dice: number }>;
}

export function labelAgreement(reference: VoxelArray, other: VoxelArray, names: Readonly<Record<number, string>> = {}): LabelAgreement {
  const dice = labelDice(reference, other, names);
  let same = 0;
  for (let i = 0; i < reference.length; i++) if (reference[i] === other[i]) same++;
  const worst = Object.entries(dice.labels)
    .map(([label, d]) => ({ label, dice: d }))
    .sort((p, q) => p.dice - q.dice);
  return { voxelAgreement: reference.length ? same / reference.length : 1, dice, worst };
}
