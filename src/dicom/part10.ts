import * as dcmjs from 'dcmjs';
import { installDcmjsFastWrite } from './dcmjsFastWrite';

export const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
/** Implicit VR stores every length in 32 bits: RTSTRUCT ContourData can exceed the 64 KiB an explicit-VR DS allows. */
export const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';
/** This project's implementation class (a fixed UUID-derived UID). */
export const WBCT_IMPLEMENTATION_CLASS_UID = '2.25.223490045230351789017255446915434029864';
export const WBCT_IMPLEMENTATION_VERSION = 'WBCT_0_1';

/** A fresh, globally unique UID (2.25 + random UUID). */
export function newUid(): string {
  return dcmjs.data.DicomMetaDictionary.uid();
}

/** Serialises a naturalized dataset as a DICOM Part 10 file (preamble, DICM, file meta information, dataset). */
export function datasetToPart10(dataset: dcmjs.NaturalDataset, transferSyntaxUid = EXPLICIT_VR_LITTLE_ENDIAN): Buffer {
  installDcmjsFastWrite();
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: transferSyntaxUid,
    ImplementationClassUID: WBCT_IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: WBCT_IMPLEMENTATION_VERSION,
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return Buffer.from(dict.write());
}

/** A DS (decimal string) value: at most 16 characters, as the standard requires. */
export function formatDS(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`cannot write ${v} as a DICOM decimal string`);
  for (let precision = 15; precision >= 1; precision--) {
    const s = String(Number(v.toPrecision(precision)));
    if (s.length <= 16) return s;
  }
  throw new RangeError(`cannot fit ${v} in a 16-character DICOM decimal string`);
}

/** DICOM DA and TM of a moment (local time, as DICOM dates are). */
export function dicomDateTime(d = new Date()): { date: string; time: string } {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return { date: `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}`, time: `${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}` };
}
