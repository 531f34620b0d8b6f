import type { NaturalDataset } from 'dcmjs';
import { formatDS } from './part10';
import { patientStudyModules } from './patientStudyModules';
import type { DicomSeriesInfo } from './seriesInfo';

/**
 * The source series as the normalized multi-frame dataset dcmjs derives a SEG from, with frame f (1-based) = volume
 * slice f-1. dcmjs's own normalizer would sort the slices itself (descending along the normal), so the frames would
 * no longer match the label map's k order; building the reference here keeps both orders identical by construction.
 */
export function segReferenceDataset(series: DicomSeriesInfo): NaturalDataset {
  const iop = series.imageOrientationPatient.map(formatDS);
  const [firstSlice] = series.slices;
  if (!firstSlice) throw new Error(`series ${series.seriesInstanceUid} has no slices`);
  return {
    _vrMap: { PixelData: 'OB' },
    _meta: {},
    SOPClassUID: firstSlice.sopClassUid,
    SOPInstanceUID: firstSlice.sopInstanceUid,
    ...patientStudyModules(series),
    SeriesInstanceUID: series.seriesInstanceUid,
    FrameOfReferenceUID: series.frameOfReferenceUid,
    PositionReferenceIndicator: '',
    Modality: series.modality,
    NumberOfFrames: series.slices.length,
    Rows: series.rows,
    Columns: series.columns,
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    BitsStored: 1,
    HighBit: 0,
    PixelData: new ArrayBuffer(0),
    SharedFunctionalGroupsSequence: {
      PlaneOrientationSequence: { ImageOrientationPatient: iop },
      PixelMeasuresSequence: {
        PixelSpacing: series.pixelSpacing.map(formatDS),
        SliceThickness: formatDS(series.sliceThickness),
        SpacingBetweenSlices: formatDS(series.sliceSpacing),
      },
    },
    PerFrameFunctionalGroupsSequence: series.slices.map((s) => ({
      PlanePositionSequence: { ImagePositionPatient: s.imagePositionPatient.map(formatDS) },
    })),
    ReferencedSeriesSequence: {
      SeriesInstanceUID: series.seriesInstanceUid,
      ReferencedInstanceSequence: series.slices.map((s) => ({ ReferencedSOPClassUID: s.sopClassUid, ReferencedSOPInstanceUID: s.sopInstanceUid })),
    },
  };
}
