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

/**
 * A fixed display colour per label value (sRGB 0..255): hues spaced by the golden angle, so neighbouring label values
 * differ clearly. The same label gets the same colour in SEG (as CIELab) and RTSTRUCT.
 */
export function labelColorRgb(label: number): [number, number, number] {
  const h = (label * 137.508) % 360;
  const s = 0.65;
  const v = label % 2 === 0 ? 0.85 : 0.95;
  const f = (n: number) => {
    const k = (n + h / 60) % 6;
    return Math.round(255 * (v - v * s * Math.max(0, Math.min(k, 4 - k, 1))));
  };
  return [f(5), f(3), f(1)];
}
