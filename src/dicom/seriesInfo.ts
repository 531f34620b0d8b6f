import type { Vec3 } from '../core/volume';

/** ImageOrientationPatient: row direction (LPS, direction of increasing column index i), then column direction (increasing j). */
export type ImageOrientation = readonly [number, number, number, number, number, number];

/** One source slice, in volume order (slice k of the volume is `slices[k]`): what a SEG or RTSTRUCT must reference. */
export interface DicomSliceRef {
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  /** ImagePositionPatient (LPS mm) of the slice's first pixel. */
  readonly imagePositionPatient: Vec3;
  /** Where the slice came from (file path, or `zip:entry`), for error messages. */
  readonly source: string;
}

/** Patient and study attributes that derived objects (SEG, RTSTRUCT) copy from their source series. */
export interface DicomPatientStudy {
  readonly patientName: string;
  readonly patientId: string;
  readonly patientBirthDate: string;
  readonly patientSex: string;
  readonly studyInstanceUid: string;
  readonly studyDate: string;
  readonly studyTime: string;
  readonly studyId: string;
  readonly accessionNumber: string;
  readonly referringPhysicianName: string;
  readonly studyDescription: string;
}

/** The series-level attributes every slice of a series carries. */
export interface DicomSeriesFields extends DicomPatientStudy {
  readonly seriesInstanceUid: string;
  readonly seriesDescription: string;
  readonly seriesNumber: string;
  readonly modality: string;
  readonly frameOfReferenceUid: string;
  readonly rows: number;
  readonly columns: number;
  readonly imageOrientationPatient: ImageOrientation;
  /** PixelSpacing as DICOM orders it: [between rows (along j), between columns (along i)] in mm. */
  readonly pixelSpacing: readonly [number, number];
}

/** A sorted, checked image series: everything needed to reference it from a derived object. */
export interface DicomSeriesInfo extends DicomSeriesFields {
  /** Distance between consecutive slices along the slice normal (mean when irregular), mm. */
  readonly sliceSpacing: number;
  /** SliceThickness of the source (falls back to sliceSpacing when absent). */
  readonly sliceThickness: number;
  /** Sorted along the slice normal (row x column direction), so k grows along it. */
  readonly slices: readonly DicomSliceRef[];
  /** Problems accepted because the caller passed `allowIrregular` (empty for a regular series). */
  readonly irregularities: readonly string[];
}
