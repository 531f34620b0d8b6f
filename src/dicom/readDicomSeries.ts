import { flipRasLps, makeVolume, type Volume } from '../core/volume';
import { DEFAULT_LIMITS, isLimitExceeded, LimitExceededError } from '../core/resourceLimits';
import { loadDicomSources, type DicomReadLimits } from './dicomSources';
import { isPart10, parseSlice, type ParsedSlice } from './parseSlice';
import { sortAndCheckGeometry } from './seriesGeometry';
import type { DicomSeriesInfo } from './seriesInfo';

export interface ReadDicomSeriesOptions {
  /** Which series to load when the input holds several image series. */
  readonly seriesInstanceUid?: string;
  /** Load despite gantry tilt, missing slices or uneven spacing (recorded in `series.irregularities`). */
  readonly allowIrregular?: boolean;
}

export interface DicomSeriesVolume {
  /** Rescaled values (HU for CT); i = column, j = row, k = slice along the normal; `affineRas` maps them to RAS mm. */
  readonly volume: Volume<Float32Array>;
  readonly series: DicomSeriesInfo;
}

/** A one-line summary of each image series found, for choosing one. */
export interface DicomSeriesSummary {
  readonly seriesInstanceUid: string;
  readonly modality: string;
  readonly seriesDescription: string;
  readonly sliceCount: number;
}

/** Rows x Columns x frames of one file, or of a series of them: what decoding it would allocate. */
function checkVoxels(what: string, voxels: number, limits: DicomReadLimits): void {
  if (voxels > limits.maxInputVoxels) throw new LimitExceededError('maxInputVoxels', limits.maxInputVoxels, `${what} (${voxels} voxels)`);
}

/** The slices of one series (a series is known only by a slice of it, so it has at least one). */
type SliceGroup = [ParsedSlice, ...ParsedSlice[]];

async function parseAll(pathOrZip: string, limits: DicomReadLimits): Promise<Map<string, SliceGroup>> {
  const bySeries = new Map<string, SliceGroup>();
  const sources = await loadDicomSources(pathOrZip, limits);
  // A deflated dataset is held inflated until its pixels are decoded; it shares the byte budget with the sources.
  let held = sources.reduce((sum, src) => sum + src.bytes.length, 0);
  for (const src of sources) {
    if (!isPart10(src.bytes)) continue; // README, DS_Store, raw non-Part-10 files: not ours to judge
    const left = Math.max(1, limits.maxDecompressedBytes - held);
    let slice: ParsedSlice | undefined;
    try {
      slice = parseSlice(src.name, src.bytes, { maxInflatedBytes: left });
    } catch (e) {
      // parseSlice knows only what is left of the budget; the refusal names the configured limit.
      if (!isLimitExceeded(e)) throw e;
      throw new LimitExceededError('maxDecompressedBytes', limits.maxDecompressedBytes, `${src.name}: a deflated DICOM dataset inflating past the ${left} bytes the series' ${held} bytes of files leave`);
    }
    if (!slice) continue; // DICOMDIR, SEG, RTSTRUCT, SR, ...: not a positioned image
    held += slice.inflatedBytes;
    if (slice.imageType.includes('LOCALIZER')) continue; // scout views sometimes share the CT's series
    const frames = Number.isFinite(slice.numberOfFrames) && slice.numberOfFrames > 1 ? slice.numberOfFrames : 1;
    checkVoxels(`${src.name}: a ${slice.columns} x ${slice.rows} image of ${frames} frame(s)`, slice.rows * slice.columns * frames, limits);
    if (slice.numberOfFrames > 1) throw new Error(`${src.name}: multi-frame images (${slice.numberOfFrames} frames) are not supported; export the series as single-frame slices`);
    const group = bySeries.get(slice.seriesInstanceUid);
    if (group) group.push(slice);
    else bySeries.set(slice.seriesInstanceUid, [slice]);
  }
  if (bySeries.size === 0) throw new Error(`${pathOrZip}: no DICOM image slices found`);
  return bySeries;
}

function summarize(group: SliceGroup): DicomSeriesSummary {
  const [s] = group;
  return { seriesInstanceUid: s.seriesInstanceUid, modality: s.modality, seriesDescription: s.seriesDescription, sliceCount: group.length };
}

/** The image series in a folder or zip, without decoding pixels. */
export async function listDicomSeries(pathOrZip: string, limits: DicomReadLimits = DEFAULT_LIMITS): Promise<DicomSeriesSummary[]> {
  return [...(await parseAll(pathOrZip, limits)).values()].map(summarize);
}

function pickSeries(pathOrZip: string, bySeries: Map<string, SliceGroup>, uid: string | undefined): SliceGroup {
  const describe = () => [...bySeries.values()].map((g) => { const s = summarize(g); return `${s.seriesInstanceUid} (${s.modality}, ${s.sliceCount} slices, "${s.seriesDescription}")`; }).join('; ');
  if (uid !== undefined) {
    const group = bySeries.get(uid);
    if (!group) throw new Error(`${pathOrZip}: series ${uid} not found; present: ${describe()}`);
    return group;
  }
  const [only, ...others] = bySeries.values();
  if (!only) throw new Error(`${pathOrZip}: no DICOM image slices found`);
  if (others.length > 0) throw new Error(`${pathOrZip}: ${bySeries.size} image series found, choose one with seriesInstanceUid: ${describe()}`);
  return only;
}

/**
 * Reads a CT (or any single-frame, positioned greyscale) series from a folder or .zip: sorts the slices along the
 * slice normal, checks the grid, applies RescaleSlope/Intercept, and returns the volume with its exact affine plus the
 * per-slice references a DICOM SEG or RTSTRUCT needs. Within `limits` (default DEFAULT_LIMITS): a `LimitExceededError`
 * before any pixel is decoded when the files inflate past `maxDecompressedBytes` or the series declares more than
 * `maxInputVoxels` voxels.
 */
export async function readDicomSeries(pathOrZip: string, opts: ReadDicomSeriesOptions = {}, limits: DicomReadLimits = DEFAULT_LIMITS): Promise<DicomSeriesVolume> {
  const group = pickSeries(pathOrZip, await parseAll(pathOrZip, limits), opts.seriesInstanceUid);
  checkVoxels(
    `${pathOrZip}: a series of ${group.length} slices of ${group[0].columns} x ${group[0].rows}`,
    group.reduce((sum, s) => sum + s.rows * s.columns, 0),
    limits,
  );
  const geo = sortAndCheckGeometry(group, opts.allowIrregular ?? false);
  const [ref] = geo.slices;
  for (const s of geo.slices) {
    if (s.frameOfReferenceUid !== ref.frameOfReferenceUid) throw new Error(`${s.source}: FrameOfReferenceUID differs from ${ref.source} in the same series`);
  }
  for (const s of geo.slices) s.checkPixels(); // a truncated or compressed slice is refused before the volume is allocated
  const sliceSize = ref.rows * ref.columns;
  const data = new Float32Array(sliceSize * geo.slices.length);
  geo.slices.forEach((s, k) => data.set(s.pixels(), k * sliceSize));
  const volume = makeVolume(data, [ref.columns, ref.rows, geo.slices.length], flipRasLps(geo.affineLps));
  const series: DicomSeriesInfo = {
    patientName: ref.patientName,
    patientId: ref.patientId,
    patientBirthDate: ref.patientBirthDate,
    patientSex: ref.patientSex,
    studyInstanceUid: ref.studyInstanceUid,
    studyDate: ref.studyDate,
    studyTime: ref.studyTime,
    studyId: ref.studyId,
    accessionNumber: ref.accessionNumber,
    referringPhysicianName: ref.referringPhysicianName,
    studyDescription: ref.studyDescription,
    seriesInstanceUid: ref.seriesInstanceUid,
    seriesDescription: ref.seriesDescription,
    seriesNumber: ref.seriesNumber,
    modality: ref.modality,
    frameOfReferenceUid: ref.frameOfReferenceUid,
    rows: ref.rows,
    columns: ref.columns,
    imageOrientationPatient: ref.imageOrientationPatient,
    pixelSpacing: ref.pixelSpacing,
    sliceSpacing: geo.sliceSpacing,
    sliceThickness: ref.sliceThickness ?? geo.sliceSpacing,
    slices: geo.slices.map((s) => ({ sopInstanceUid: s.sopInstanceUid, sopClassUid: s.sopClassUid, imagePositionPatient: s.imagePositionPatient, source: s.source })),
    irregularities: geo.irregularities,
  };
  return { volume, series };
}
