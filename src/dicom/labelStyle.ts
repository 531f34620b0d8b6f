import type { LabelVolume } from '../core/volume';

/** Label value -> name, as the bundle's labels.json stores it ({"0": "background", "1": "spleen", ...}). */
export type LabelNames = Readonly<Record<string, string>>;

/** Label values other than 0 that occur in the map, ascending. */
export function presentLabels(labels: LabelVolume): number[] {
  const seen = new Uint8Array(256);
  for (const v of labels.data) seen[v] = 1;
  const out: number[] = [];
  for (let l = 1; l < 256; l++) if (seen[l]) out.push(l);
  return out;
}

/** The label's name; a label missing from the list is an error, not a silent "label_7". */
export function labelName(names: LabelNames, label: number): string {
  const name = names[String(label)];
  if (name === undefined) throw new Error(`label ${label} occurs in the label map but has no name in the label list`);
  return name;
}

/** Name -> label value, the inverse of the label list. */
export function labelValueByName(names: LabelNames): Map<string, number> {
  return new Map(Object.entries(names).map(([value, name]) => [name, Number(value)]));
}
