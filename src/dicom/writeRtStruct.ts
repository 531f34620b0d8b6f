import type { NaturalDataset } from 'dcmjs';
import { AXES, flipRasLps, type LabelVolume, type Mat4 } from '../core/volume';
import { mergeHolesByKeyhole } from './keyholeContours';
import { labelContours } from './labelContours';
import type { Contour } from './marchingSquares';
import { labelColorRgb } from '../core/labelColors';
import { labelName } from './labelStyle';
import { writeFileAtomicSync } from '../util/atomicWrite';
import { datasetToPart10, dicomDateTime, formatDS, IMPLICIT_VR_LITTLE_ENDIAN, newUid } from './part10';
import { assertOnSeriesGrid } from './seriesGrid';
import { patientStudyModules } from './patientStudyModules';
import type { DicomSeriesInfo, DicomSliceRef } from './seriesInfo';
import type { DerivedObjectOptions, DerivedObjectResult } from './writeDicomSeg';

const RT_STRUCTURE_SET_STORAGE = '1.2.840.10008.5.1.4.1.1.481.3';
/** The Study Component Management class that RTReferencedStudySequence conventionally names (PS3.3 C.8.8.5). */
const STUDY_REFERENCE_SOP_CLASS = '1.2.840.10008.3.1.2.3.1';

export interface RtStructOptions extends DerivedObjectOptions {
  /**
   * How holes are written. `keyhole` (default): joined to their outer contour by a zero-width channel, one polygon per
   * region, read correctly whether a reader ORs or XORs the contours of a slice. `separate`: holes as their own
   * contours, which only readers that XOR (even-odd) contours read as holes.
   */
  readonly holes?: 'keyhole' | 'separate';
}

/** Patient-space (LPS) contour points, 3 decimals: well below any CT voxel, and short DS strings. */
function contourData(contour: readonly number[], k: number, lps: Mat4): string[] {
  const out: string[] = [];
  // A contour is a flat list of (x, y) pairs (even length), so p + 1 is in range.
  for (let p = 0; p < contour.length; p += 2) {
    const [x, y] = [contour[p]!, contour[p + 1]!];
    for (const a of AXES) out.push(formatDS(Math.round((lps[a][0] * x + lps[a][1] * y + lps[a][2] * k + lps[a][3]) * 1000) / 1000));
  }
  return out;
}

/**
 * Builds an RT Structure Set: one ROI per non-empty label, closed planar contours per slice from marching squares
 * (holes per `opts.holes`), points in patient LPS mm, each contour referencing its CT slice. Written as implicit VR so
 * large contours are not limited by the 64 KiB an explicit-VR DS value may hold.
 */
export function buildRtStruct(labels: LabelVolume, series: DicomSeriesInfo, opts: RtStructOptions): DerivedObjectResult {
  assertOnSeriesGrid(labels, series, 'RTSTRUCT');
  const lps = flipRasLps(labels.affineRas);
  const contoursPerLabel = labelContours(labels);
  const shape = opts.holes === 'separate' ? (c: Contour[]) => c : mergeHolesByKeyhole;
  if (contoursPerLabel.size === 0) throw new Error('RTSTRUCT: the label map is empty (no label other than 0)');
  const now = dicomDateTime();
  const seriesUid = newUid();
  const sopUid = newUid();
  const imageRef = (slice: DicomSliceRef) => ({ ReferencedSOPClassUID: slice.sopClassUid, ReferencedSOPInstanceUID: slice.sopInstanceUid });
  const sliceRef = (k: number) => {
    const slice = series.slices[k];
    if (!slice) throw new Error(`RTSTRUCT: the series has no slice ${k}`);
    return imageRef(slice);
  };
  const labelsInOrder = [...contoursPerLabel.keys()];
  const items = labelsInOrder.map((label, index) => ({ number: index + 1, label, name: labelName(opts.labelNames, label) }));
  const roiContours: NaturalDataset[] = items.map(({ number, label }) => ({
    ROIDisplayColor: labelColorRgb(label),
    ContourSequence: contoursPerLabel.get(label)!.flatMap(({ k, contours }) =>
      shape(contours).map((c) => ({
        ContourImageSequence: [sliceRef(k)],
        ContourGeometricType: 'CLOSED_PLANAR',
        NumberOfContourPoints: c.length / 2,
        ContourData: contourData(c, k, lps),
      })),
    ),
    ReferencedROINumber: number,
  }));
  roiContours.forEach((roi) => (roi.ContourSequence as NaturalDataset[]).forEach((c, n) => (c.ContourNumber = n + 1)));
  const dataset: NaturalDataset = {
    SpecificCharacterSet: 'ISO_IR 192',
    SOPClassUID: RT_STRUCTURE_SET_STORAGE,
    SOPInstanceUID: sopUid,
    InstanceCreationDate: now.date,
    InstanceCreationTime: now.time,
    SeriesDate: now.date,
    SeriesTime: now.time,
    ...patientStudyModules(series),
    Modality: 'RTSTRUCT',
    Manufacturer: 'wbct',
    ManufacturerModelName: (opts.algorithmName ?? 'wholeBody_ct_segmentation').slice(0, 64),
    SoftwareVersions: opts.algorithmVersion ?? '0.1.0',
    StudyDescription: series.studyDescription,
    SeriesDescription: opts.seriesDescription ?? 'Structures (wbct)',
    OperatorsName: '',
    SeriesInstanceUID: seriesUid,
    SeriesNumber: String(opts.seriesNumber ?? 301),
    InstanceNumber: '1',
    FrameOfReferenceUID: series.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    StructureSetLabel: 'wbct',
    StructureSetName: 'wbct',
    StructureSetDate: now.date,
    StructureSetTime: now.time,
    ReferencedFrameOfReferenceSequence: [
      {
        FrameOfReferenceUID: series.frameOfReferenceUid,
        RTReferencedStudySequence: [
          {
            ReferencedSOPClassUID: STUDY_REFERENCE_SOP_CLASS,
            ReferencedSOPInstanceUID: series.studyInstanceUid,
            RTReferencedSeriesSequence: [{ SeriesInstanceUID: series.seriesInstanceUid, ContourImageSequence: series.slices.map(imageRef) }],
          },
        ],
      },
    ],
    StructureSetROISequence: items.map(({ number, name }) => ({
      ROINumber: number,
      ReferencedFrameOfReferenceUID: series.frameOfReferenceUid,
      ROIName: name.slice(0, 64),
      ROIGenerationAlgorithm: 'AUTOMATIC',
    })),
    ROIContourSequence: roiContours,
    RTROIObservationsSequence: items.map(({ number }) => ({
      ObservationNumber: number,
      ReferencedROINumber: number,
      RTROIInterpretedType: 'ORGAN',
      ROIInterpreter: '',
    })),
  };
  return { bytes: datasetToPart10(dataset, IMPLICIT_VR_LITTLE_ENDIAN), sopInstanceUid: sopUid, seriesInstanceUid: seriesUid, items };
}

/** Writes {@link buildRtStruct}'s file atomically to `outPath`. */
export function writeRtStruct(labels: LabelVolume, series: DicomSeriesInfo, outPath: string, opts: RtStructOptions): DerivedObjectResult {
  const result = buildRtStruct(labels, series, opts);
  writeFileAtomicSync(outPath, result.bytes);
  return result;
}
