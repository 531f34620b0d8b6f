/** DICOM in and out: CT series input, DICOM SEG / RTSTRUCT output, a DICOMweb client and datastore. */
export { readDicomSeries, listDicomSeries, type ReadDicomSeriesOptions, type DicomSeriesVolume, type DicomSeriesSummary } from './readDicomSeries';
export type { DicomSeriesInfo, DicomSliceRef, DicomPatientStudy } from './seriesInfo';
export { buildDicomSeg, writeDicomSeg, type DerivedObjectOptions, type DerivedObjectResult } from './writeDicomSeg';
export { buildRtStruct, writeRtStruct, type RtStructOptions } from './writeRtStruct';
export { readDicomSeg } from './readDicomSeg';
export { writeCtSeries, type WriteCtSeriesOptions, type WrittenCtSeries } from './writeCtSeries';
export { DicomWebClient, type DicomWebAuth, type DicomWebClientOptions, type DicomWebSeries } from './dicomWebClient';
export { DicomWebDatastore, type DicomWebDatastoreOptions } from './dicomWebDatastore';
export { assertOnSeriesGrid, seriesAffineLps } from './seriesGrid';
export { labelColorRgb, type LabelNames } from './labelStyle';
