/**
 * A fixed display colour per label value (sRGB 0..255): hues spaced by the golden angle, so neighbouring label values
 * differ clearly. One table for every view of a label map: DICOM SEG (as CIELab), RTSTRUCT, previews and the web page.
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
