import { writeFileAtomicSync } from '../util/atomicWrite';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeImage, type VoxelDType } from '../io';
import { makeVolume, type LabelVolume, type Volume, type VoxelArray } from '../core/volume';
import { ApiError } from '../core/errors';
import type { JsonObject } from '../core/json';
import type { LabelCodes } from '../core/codedConcept';
import { FINAL_TAG, type Datastore, type DerivedDicomKind, type DatastoreModel, type DatastoreStats, type IncomingFile, type TrainingPair } from '../core/datastore';
import type { VolumeReader } from '../core/volumeReader';
import { DicomWebClient, type DicomWebAuth } from '../dicom/dicomWebClient';
import { LABEL_TAG_PREFIX, PacsCatalogueReader, type PacsCatalogue } from './dicomWebCatalogue';
import type { LabelNames } from '../dicom/labelStyle';
import { readDicomSeg } from '../dicom/readDicomSeg';
import { readDicomSeries } from '../dicom/readDicomSeries';
import { assertOnSeriesGrid } from '../dicom/seriesGrid';
import { buildDicomSeg, type DerivedObjectResult, type DicomSegOptions } from '../dicom/writeDicomSeg';
import { buildRtStruct } from '../dicom/writeRtStruct';

const { trunc } = Math;

function allIntegersIn(data: ArrayLike<number>, min: number, max: number): boolean {
  for (let p = 0; p < data.length; p++) {
    const v = data[p]!; // p < data.length
    if (v !== trunc(v) || v < min || v > max) return false;
  }
  return true;
}

/** writeImage (atomic) into a cache folder that may not exist yet. */
async function writeCached(file: string, volume: Volume<VoxelArray>, dtype: VoxelDType): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writeImage(file, volume, { dtype });
}

export interface DicomWebDatastoreOptions {
  readonly baseUrl: string;
  readonly auth?: DicomWebAuth;
  /** Local cache: fetched series, their NIfTI conversions, label NIfTIs, and local image info. */
  readonly cacheDir: string;
  /** Reads uploaded label files (the server's reader: NIfTI, NRRD). */
  readonly readVolume: VolumeReader;
  /** Label value -> name, for SEG segment names and for reading SEGs back. */
  readonly labelNames: LabelNames;
  /** Label name -> SNOMED CT codes of its SEG segment (default: a generic coding). */
  readonly labelCodes?: LabelCodes;
  /** Which series count as images; default CT. */
  readonly modality?: string;
}

/**
 * MONAI Label's DICOMweb datastore: images are the PACS's CT series (id = SeriesInstanceUID), labels are DICOM SEGs
 * referencing them (tag in the SEG's SeriesDescription, `wbct:<tag>`; foreign SEGs count as `final`). Paths handed
 * to the server are NIfTI conversions in the local cache, so inference and Slicer see ordinary volumes; a saved label
 * goes back to the PACS as a DICOM SEG through STOW-RS. Images cannot be added: they come from the PACS.
 */
export class DicomWebDatastore implements Datastore {
  private readonly client: DicomWebClient;
  private readonly catalogue: PacsCatalogueReader;

  constructor(private readonly opts: DicomWebDatastoreOptions) {
    this.client = new DicomWebClient({ baseUrl: opts.baseUrl, auth: opts.auth, cacheDir: path.join(opts.cacheDir, 'dicom') });
    this.catalogue = new PacsCatalogueReader(this.client, opts.modality ?? 'CT');
  }

  async listImages(): Promise<string[]> {
    return [...(await this.catalogue.read()).images.keys()].sort();
  }

  async unlabeledImages(tag: string = FINAL_TAG): Promise<string[]> {
    const c = await this.catalogue.read();
    return [...c.images.keys()].filter((id) => !c.labels.get(id)?.has(tag)).sort();
  }

  async imageInfo(id: string): Promise<JsonObject> {
    return this.infoOf(await this.catalogue.read(), id);
  }

  /** Fetches the series (WADO-RS, cached) and converts it once to `<cache>/images/<id>.nii.gz`. */
  async imagePath(id: string): Promise<string> {
    const file = path.join(this.opts.cacheDir, 'images', `${id}.nii.gz`);
    if (fs.existsSync(file)) return file;
    const { volume } = await readDicomSeries(await this.seriesDir(await this.catalogue.read(), id));
    await writeCached(file, volume, allIntegersIn(volume.data, -32768, 32767) ? 'int16' : 'float32');
    return file;
  }

  async labelInfo(id: string, tag: string): Promise<JsonObject> {
    const label = this.labelOf(await this.catalogue.read(), id, tag);
    return { name: `${id}.nii.gz`, ts: 0, seg_series_uid: label.seriesInstanceUid, seg_sop_uid: label.sopInstanceUid };
  }

  /** Fetches the newest SEG of that tag and converts it to `<cache>/labels/<tag>/<SEG SOP UID>.nii.gz`. */
  async labelPath(id: string, tag: string): Promise<string> {
    const c = await this.catalogue.read();
    const label = this.labelOf(c, id, tag);
    const file = path.join(this.opts.cacheDir, 'labels', tag, `${label.sopInstanceUid}.nii.gz`);
    if (fs.existsSync(file)) return file;
    const segDir = await this.client.retrieveSeries(label.studyInstanceUid, label.seriesInstanceUid);
    const { series } = await readDicomSeries(await this.seriesDir(c, id));
    await writeCached(file, readDicomSeg(path.join(segDir, `${label.sopInstanceUid}.dcm`), series, this.opts.labelNames), 'uint8');
    return file;
  }

  addImage(): Promise<string> {
    return Promise.reject(new ApiError('BAD_REQUEST', 'this datastore serves the images of a DICOMweb server; store new images in the PACS itself'));
  }

  /** Checks the label lies on the series' grid, writes it as a DICOM SEG and stores it with STOW-RS. */
  async saveLabel(id: string, tag: string, file: IncomingFile, info: JsonObject): Promise<string> {
    if (!/^[A-Za-z0-9_-]{1,48}$/.test(tag)) throw new ApiError('INVALID_PARAM', `label tag ${JSON.stringify(tag)} must be 1-48 letters, digits, "_" or "-"`);
    const { object: seg, labels } = await this.derivedFor(id, file.tempPath, file.fileName, 'seg', { seriesDescription: `${LABEL_TAG_PREFIX}${tag}`, algorithmVersion: typeof info.model === 'string' ? info.model : undefined });
    await this.client.store([seg.bytes]);
    await writeCached(path.join(this.opts.cacheDir, 'labels', tag, `${seg.sopInstanceUid}.nii.gz`), labels, 'uint8');
    return id;
  }

  /**
   * A DICOM SEG or RTSTRUCT for a label file on image `id`'s grid (an inference result, for
   * `/infer?output=dicom_seg|rtstruct`), without storing it. Errors are ApiErrors: GRID_MISMATCH, NOT_AN_IMAGE,
   * INVALID_PARAM (empty or non-integer labels).
   */
  async derivedDicomFor(id: string, labelFile: string, kind: DerivedDicomKind): Promise<DerivedObjectResult> {
    return (await this.derivedFor(id, labelFile, path.basename(labelFile), kind, { seriesDescription: 'wbct:inference' })).object;
  }

  private async derivedFor(id: string, file: string, name: string, kind: DerivedDicomKind, extra: Partial<DicomSegOptions>): Promise<{ object: DerivedObjectResult; labels: LabelVolume }> {
    const { series } = await readDicomSeries(await this.seriesDir(await this.catalogue.read(), id));
    const read = await this.opts.readVolume(file).catch((e: Error) => {
      throw new ApiError('NOT_AN_IMAGE', `label "${name}": ${e.message}`);
    });
    if (!allIntegersIn(read.data, 0, 255)) throw new ApiError('INVALID_PARAM', `label "${name}" has values that are not integers 0..255`);
    const labels: LabelVolume = makeVolume(Uint8Array.from(read.data as ArrayLike<number>), read.shape, read.affineRas);
    try {
      assertOnSeriesGrid(labels, series, `label for image ${JSON.stringify(id)}`);
    } catch (e) {
      throw new ApiError('GRID_MISMATCH', (e as Error).message);
    }
    try {
      const build = kind === 'seg' ? buildDicomSeg : buildRtStruct;
      return { object: build(labels, series, { labelNames: this.opts.labelNames, labelCodes: this.opts.labelCodes, ...extra }), labels };
    } catch (e) {
      throw new ApiError('INVALID_PARAM', (e as Error).message);
    }
  }

  async updateImageInfo(id: string, patch: JsonObject): Promise<void> {
    this.imageOf(await this.catalogue.read(), id);
    const all = this.localInfo();
    all[id] = { ...((all[id] as JsonObject | undefined) ?? {}), ...patch };
    const file = path.join(this.opts.cacheDir, 'image_info.json');
    writeFileAtomicSync(file, JSON.stringify(all, null, 2));
  }

  async stats(): Promise<DatastoreStats> {
    const c = await this.catalogue.read();
    const label_tags: Record<string, number> = {};
    for (const perTag of c.labels.values()) for (const tag of perTag.keys()) label_tags[tag] = (label_tags[tag] ?? 0) + 1;
    return { total: c.images.size, completed: [...c.labels.values()].filter((t) => t.has(FINAL_TAG)).length, label_tags };
  }

  async dump(): Promise<DatastoreModel> {
    const c = await this.catalogue.read();
    const objects: DatastoreModel['objects'] = {};
    for (const id of [...c.images.keys()].sort()) {
      const labels: Record<string, { ext: string; info: JsonObject }> = {};
      for (const [tag, l] of c.labels.get(id) ?? []) labels[tag] = { ext: '.nii.gz', info: { name: `${id}.nii.gz`, seg_series_uid: l.seriesInstanceUid } };
      objects[id] = { image: { ext: '.nii.gz', info: this.infoOf(c, id) }, labels };
    }
    return { name: 'DICOMweb', description: this.opts.baseUrl, images_dir: path.join(this.opts.cacheDir, 'images'), labels_dir: path.join(this.opts.cacheDir, 'labels'), objects };
  }

  /** Downloads and converts every labelled image of the tag (the trainer needs files). */
  async trainingPairs(tag: string = FINAL_TAG): Promise<TrainingPair[]> {
    const c = await this.catalogue.read();
    const pairs: TrainingPair[] = [];
    for (const id of [...c.images.keys()].sort()) if (c.labels.get(id)?.has(tag)) pairs.push({ image: await this.imagePath(id), label: await this.labelPath(id, tag) });
    return pairs;
  }

  private imageOf(c: PacsCatalogue, id: string) {
    const image = c.images.get(id);
    if (!image) throw new ApiError('IMAGE_NOT_FOUND', `Image NOT Found: ${JSON.stringify(id)}`);
    return image;
  }

  private labelOf(c: PacsCatalogue, id: string, tag: string) {
    this.imageOf(c, id);
    const label = c.labels.get(id)?.get(tag);
    if (!label) throw new ApiError('LABEL_NOT_FOUND', `Label NOT Found: image ${JSON.stringify(id)} has no "${tag}" label`);
    return label;
  }

  private infoOf(c: PacsCatalogue, id: string): JsonObject {
    const s = this.imageOf(c, id);
    return {
      name: `${id}.nii.gz`,
      ts: 0,
      StudyInstanceUID: s.studyInstanceUid,
      SeriesInstanceUID: s.seriesInstanceUid,
      PatientID: s.patientId,
      SeriesDescription: s.seriesDescription,
      Modality: s.modality,
      NumberOfInstances: s.numberOfInstances,
      ...((this.localInfo()[id] as JsonObject | undefined) ?? {}),
    };
  }

  private localInfo(): JsonObject {
    const file = path.join(this.opts.cacheDir, 'image_info.json');
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as JsonObject) : {};
  }

  private async seriesDir(c: PacsCatalogue, id: string): Promise<string> {
    const image = this.imageOf(c, id);
    return this.client.retrieveSeries(image.studyInstanceUid, image.seriesInstanceUid);
  }
}
