import * as fs from 'node:fs';
import * as dicomParser from 'dicom-parser';
import { flipRasLps, makeVolume, type LabelVolume } from '../core/volume';
import { labelValueByName, type LabelNames } from './labelStyle';
import { seriesAffineLps } from './seriesGrid';
import type { DicomSeriesInfo } from './seriesInfo';

const SEGMENTATION_STORAGE = '1.2.840.10008.5.1.4.1.1.66.4';
/** The private coding scheme older wbct versions wrote as segment type, with the label value as code; still read. */
const LEGACY_WBCT_CODING_SCHEME = '99WBCT';

const first = (ds: dicomParser.DataSet | undefined, seqTag: string): dicomParser.DataSet | undefined => ds?.elements[seqTag]?.items?.[0]?.dataSet;

/** Segment number -> label value: the legacy private code when present, else the segment's label through the label list. */
function segmentValues(ds: dicomParser.DataSet, names: LabelNames, source: string): Map<number, number> {
  const byName = labelValueByName(names);
  const out = new Map<number, number>();
  for (const item of ds.elements.x00620002?.items ?? []) {
    const s = item.dataSet!;
    const number = s.uint16('x00620004')!;
    const type = first(s, 'x0062000f');
    const label = (s.string('x00620005') ?? '').trim();
    const value = type?.string('x00080102')?.trim() === LEGACY_WBCT_CODING_SCHEME ? Number(type.string('x00080100')) : byName.get(label);
    if (value === undefined || !Number.isInteger(value) || value < 1 || value > 255) throw new Error(`${source}: segment ${number} "${label}" has no label value in the label list`);
    out.set(number, value);
  }
  return out;
}

/**
 * Reads a DICOM SEG (binary or fractional) back into a label map on its source series' grid: each frame goes to the
 * slice its Referenced SOP Instance UID names. Where segments overlap, the later segment wins.
 */
export function readDicomSeg(file: string, series: DicomSeriesInfo, names: LabelNames): LabelVolume {
  const bytes = new Uint8Array(fs.readFileSync(file));
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes);
  } catch (e) {
    throw new Error(`${file}: unreadable DICOM file (${(e as Error).message})`);
  }
  if (ds.string('x00080016') !== SEGMENTATION_STORAGE) throw new Error(`${file}: not a DICOM SEG (SOP class ${ds.string('x00080016')})`);
  const [rows, cols] = [ds.uint16('x00280010')!, ds.uint16('x00280011')!];
  if (rows !== series.rows || cols !== series.columns) throw new Error(`${file}: SEG frames are ${cols}x${rows}, the series ${series.columns}x${series.rows}`);
  const fractional = ds.string('x00620001') === 'FRACTIONAL';
  const threshold = fractional ? (ds.uint16('x00620010') ?? 255) / 2 : 0;
  const values = segmentValues(ds, names, file);
  const sliceOf = new Map(series.slices.map((s, k) => [s.sopInstanceUid, k]));
  const frameSize = rows * cols;
  const pixels = ds.elements.x7fe00010;
  if (!pixels || pixels.encapsulatedPixelData) throw new Error(`${file}: SEG pixel data missing or compressed`);
  const out = new Uint8Array(frameSize * series.slices.length);
  (ds.elements.x52009230?.items ?? []).forEach((item, f) => {
    const g = item.dataSet!;
    const segment = first(g, 'x0062000a')?.uint16('x0062000b');
    const sop = first(first(g, 'x00089124'), 'x00082112')?.string('x00081155')?.trim();
    const k = sop === undefined ? undefined : sliceOf.get(sop);
    if (segment === undefined || k === undefined) throw new Error(`${file}: frame ${f + 1} does not reference a slice of series ${series.seriesInstanceUid}`);
    const value = values.get(segment);
    if (value === undefined) throw new Error(`${file}: frame ${f + 1} names segment ${segment}, which is not in the SegmentSequence`);
    for (let p = 0; p < frameSize; p++) {
      const bit = f * frameSize + p;
      // Past the end of the file (a truncated SEG) a pixel reads as off.
      const on = fractional ? (bytes[pixels.dataOffset + bit] ?? 0) > threshold : ((bytes[pixels.dataOffset + (bit >> 3)] ?? 0) >> (bit & 7)) & 1;
      if (on) out[k * frameSize + p] = value;
    }
  });
  return makeVolume(out, [cols, rows, series.slices.length], flipRasLps(seriesAffineLps(series)));
}
