/** DICOM in and out: CT series input, DICOM SEG / RTSTRUCT output, a DICOMweb client (the DICOMweb datastore is in src/datastore). */
export { readDicomSeries, listDicomSeries, type ReadDicomSeriesOptions, type DicomSeriesVolume, type DicomSeriesSummary } from './readDicomSeries';
export type { DicomSeriesInfo, DicomSliceRef, DicomPatientStudy } from './seriesInfo';
export { buildDicomSeg, writeDicomSeg, type DerivedObjectOptions, type DerivedObjectResult, type DicomSegOptions } from './writeDicomSeg';
export { buildRtStruct, writeRtStruct, type RtStructOptions } from './writeRtStruct';
export { readDicomSeg } from './readDicomSeg';
export { DicomWebClient, type DicomWebAuth, type DicomWebClientOptions, type DicomWebSeries } from './dicomWebClient';
export { assertOnSeriesGrid, seriesAffineLps } from './seriesGrid';
export { type LabelNames } from './labelStyle';
