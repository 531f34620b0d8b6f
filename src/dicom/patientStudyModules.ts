import type { DicomSeriesInfo } from './seriesInfo';

/**
 * The Patient and General Study module attributes a derived object (SEG, RTSTRUCT) copies from its source series,
 * so that a PACS files it with the CT it was made from.
 */
export function patientStudyModules(series: DicomSeriesInfo) {
  return {
    PatientName: series.patientName,
    PatientID: series.patientId,
    PatientBirthDate: series.patientBirthDate,
    PatientSex: series.patientSex,
    StudyInstanceUID: series.studyInstanceUid,
    StudyDate: series.studyDate,
    StudyTime: series.studyTime,
    StudyID: series.studyId,
    AccessionNumber: series.accessionNumber,
    ReferringPhysicianName: series.referringPhysicianName,
  };
}
