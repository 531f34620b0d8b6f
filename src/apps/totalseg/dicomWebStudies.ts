import * as path from 'node:path';
import type { DicomWebAuth } from '../../dicom/dicomWebClient';
import { DicomWebDatastore } from '../../datastore/dicomWebDatastore';
import type { VolumeReader } from '../../core/volumeReader';
import { projectRoot } from '../../util/projectRoot';
import { BUNDLE_CHANNEL_NAMES } from './bundleLabels';
import { BUNDLE_TERMINOLOGY } from './bundleTerminology';

/** A `--studies` value naming a DICOMweb server (`http(s)://host:port/dicom-web`) rather than a folder. */
export function isDicomWebUrl(studies: string): boolean {
  return /^https?:\/\//i.test(studies);
}

/** Where fetched series and label conversions are kept by default (one folder for every server: UIDs are unique). */
export function defaultDicomWebCacheDir(): string {
  return process.env.WBCT_DICOMWEB_CACHE ?? path.join(projectRoot(), '.dicomweb-cache');
}

export interface DicomWebStudiesOptions {
  readonly auth?: DicomWebAuth;
  /** Default {@link defaultDicomWebCacheDir}. */
  readonly cacheDir?: string;
  readonly readVolume: VolumeReader;
}

/**
 * The totalseg app's datastore on a PACS, as MONAI Label's `--studies http://.../dicom-web`: CT series are the images,
 * labels go back as DICOM SEG named with the bundle's labels and coded with their SNOMED CT concepts. Checks the
 * server answers (QIDO-RS) before returning, so a wrong URL or credentials stop the start-up with the server's own error.
 */
export async function openDicomWebStudies(baseUrl: string, options: DicomWebStudiesOptions): Promise<DicomWebDatastore> {
  const labelNames = Object.fromEntries(BUNDLE_CHANNEL_NAMES.map((name, i) => [String(i), name]));
  const datastore = new DicomWebDatastore({ baseUrl, auth: options.auth, cacheDir: options.cacheDir ?? defaultDicomWebCacheDir(), readVolume: options.readVolume, labelNames, labelCodes: BUNDLE_TERMINOLOGY });
  try {
    await datastore.listImages();
  } catch (e) {
    throw new Error(`DICOMweb server ${baseUrl} is not usable as the studies datastore: ${(e as Error).message}`);
  }
  return datastore;
}
