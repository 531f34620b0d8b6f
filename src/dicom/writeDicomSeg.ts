import * as dcmjs from 'dcmjs';
import type { LabelCodes } from '../core/codedConcept';
import type { LabelVolume } from '../core/volume';
import { labelColorRgb } from '../core/labelColors';
import { labelName, presentLabels, type LabelNames } from './labelStyle';
import { writeFileAtomicSync } from '../util/atomicWrite';
import { datasetToPart10, dicomDateTime, newUid } from './part10';
import { segmentCodeAttributes } from './segmentCoding';
import { segReferenceDataset } from './segReference';
import { assertOnSeriesGrid } from './seriesGrid';
import type { DicomSeriesInfo } from './seriesInfo';

export interface DerivedObjectOptions {
  /** Label value -> name (the bundle's labels.json). Every label present in the map needs a name. */
  readonly labelNames: LabelNames;
  readonly seriesDescription?: string;
  readonly seriesNumber?: number;
  /** Name of the algorithm recorded in each segment / ROI. */
  readonly algorithmName?: string;
  readonly algorithmVersion?: string;
}

export interface DicomSegOptions extends DerivedObjectOptions {
  /** Label name -> its category / type / modifier codes; a label without an entry gets a generic SNOMED CT coding. */
  readonly labelCodes?: LabelCodes;
}

/** What a derived object (SEG or RTSTRUCT) contains, for logs and for the caller's bookkeeping. */
export interface DerivedObjectResult {
  readonly bytes: Buffer;
  readonly sopInstanceUid: string;
  readonly seriesInstanceUid: string;
  /** Segment / ROI number -> label value and name, in file order. */
  readonly items: readonly { readonly number: number; readonly label: number; readonly name: string }[];
}

/** Slices (0-based k) on which each label occurs, in one pass. */
function slicesPerLabel(labels: LabelVolume): Map<number, number[]> {
  const [nx, ny, nz] = labels.shape;
  const out = new Map<number, number[]>();
  const seen = new Uint8Array(256);
  for (let k = 0; k < nz; k++) {
    seen.fill(0);
    const slice = labels.data.subarray(k * nx * ny, (k + 1) * nx * ny);
    for (const v of slice) seen[v] = 1;
    for (let l = 1; l < 256; l++) if (seen[l]) (out.get(l) ?? out.set(l, []).get(l)!).push(k);
  }
  return out;
}

/** 1-bit frames packed back to back, first pixel in the least significant bit (PS3.5 8.1.1). */
function packFrames(labels: LabelVolume, frames: readonly { label: number; k: number }[]): Uint8Array {
  const sliceSize = labels.shape[0] * labels.shape[1];
  const packed = new Uint8Array(Math.ceil((frames.length * sliceSize) / 8));
  let bit = 0;
  for (const { label, k } of frames) {
    const slice = labels.data.subarray(k * sliceSize, (k + 1) * sliceSize);
    // bit < frames.length * sliceSize, so bit >> 3 is inside `packed`.
    for (let p = 0; p < sliceSize; p++, bit++) if (slice[p] === label) packed[bit >> 3]! |= 1 << (bit & 7);
  }
  return packed;
}

/**
 * Builds a DICOM SEG (binary, one segment per non-empty label, frames only where the segment occurs) for a label
 * map on the source series' grid, referencing the source per frame.
 */
export function buildDicomSeg(labels: LabelVolume, series: DicomSeriesInfo, opts: DicomSegOptions): DerivedObjectResult {
  assertOnSeriesGrid(labels, series, 'DICOM SEG');
  const present = presentLabels(labels);
  if (present.length === 0) throw new Error('DICOM SEG: the label map is empty (no label other than 0); a SEG needs at least one segment');
  const now = dicomDateTime();
  const seriesUid = newUid();
  const sopUid = newUid();
  const algorithm = opts.algorithmName ?? 'wholeBody_ct_segmentation';
  const seg = new dcmjs.derivations.Segmentation([segReferenceDataset(series)], {
    includeSliceSpacing: true,
    SeriesInstanceUID: seriesUid,
    SOPInstanceUID: sopUid,
    SeriesDescription: opts.seriesDescription ?? 'Segmentation (wbct)',
    SeriesNumber: String(opts.seriesNumber ?? 300),
    Manufacturer: 'wbct',
    ManufacturerModelName: algorithm,
    SoftwareVersions: opts.algorithmVersion ?? '0.1.0',
    DeviceSerialNumber: '1',
    SeriesDate: now.date,
    SeriesTime: now.time,
    ContentDate: now.date,
    ContentTime: now.time,
  });
  const perLabel = slicesPerLabel(labels);
  const frames: { label: number; k: number }[] = [];
  const items = present.map((label, index) => {
    const name = labelName(opts.labelNames, label);
    const rgb = labelColorRgb(label);
    const segmentNumber = seg._addSegmentMetadata({
      SegmentLabel: name.slice(0, 64),
      SegmentDescription: name.slice(0, 64),
      ...segmentCodeAttributes(name, opts.labelCodes),
      SegmentAlgorithmType: 'AUTOMATIC',
      SegmentAlgorithmName: algorithm.slice(0, 64),
      RecommendedDisplayCIELabValue: dcmjs.data.Colors.rgb2DICOMLAB(rgb.map((c) => c / 255)).map((v) => Math.round(v)),
    });
    if (Number(segmentNumber) !== index + 1) throw new Error(`DICOM SEG: dcmjs numbered segment ${index + 1} as ${segmentNumber}`);
    const ks = perLabel.get(label)!;
    seg._addPerFrameFunctionalGroups(segmentNumber, ks.map((k) => k + 1));
    for (const k of ks) frames.push({ label, k });
    return { number: index + 1, label, name };
  });
  const ds = seg.dataset;
  ds.NumberOfFrames = frames.length;
  ds.PixelData = packFrames(labels, frames).buffer;
  ds._vrMap = { PixelData: 'OB' };
  finishSegDataset(ds);
  return { bytes: datasetToPart10(ds), sopInstanceUid: sopUid, seriesInstanceUid: seriesUid, items };
}

/** Attributes dcmjs leaves out or fills in a way the SEG IOD does not allow (checked with dciodvfy). */
function finishSegDataset(ds: dcmjs.NaturalDataset): void {
  ds.SpecificCharacterSet = 'ISO_IR 192';
  ds.ContentCreatorName = ds.ContentCreatorName || '';
}

/** Writes {@link buildDicomSeg}'s file atomically to `outPath`. */
export function writeDicomSeg(labels: LabelVolume, series: DicomSeriesInfo, outPath: string, opts: DicomSegOptions): DerivedObjectResult {
  const result = buildDicomSeg(labels, series, opts);
  writeFileAtomicSync(outPath, result.bytes);
  return result;
}
