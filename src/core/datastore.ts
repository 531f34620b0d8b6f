import type { JsonObject } from './json';

/** One stored file: its extension (`.nii.gz`) and free-form info (`ts`, `name`, the client's params, ...). */
export interface DataModel {
  ext: string;
  info: JsonObject;
}

/** An image and its labels, one per tag (`final`, `original`, ...); the label id equals the image id. */
export interface ImageLabelModel {
  image: DataModel;
  labels: Record<string, DataModel>;
}

/** MONAI Label's `LocalDatastoreModel`, exactly as `GET /datastore/?output=all` returns it. */
export interface DatastoreModel {
  name: string;
  description: string;
  images_dir: string;
  labels_dir: string;
  objects: Record<string, ImageLabelModel>;
}

/** `GET /datastore/?output=stats`: `completed` counts images that have a `final` label. */
export interface DatastoreStats {
  total: number;
  completed: number;
  label_tags: Record<string, number>;
}

export interface TrainingPair {
  image: string;
  label: string;
}

/** An uploaded file waiting in a temporary place; `fileName` is the client's name, only its suffixes matter. */
export interface IncomingFile {
  readonly tempPath: string;
  readonly fileName: string;
}

export const FINAL_TAG = 'final';
export const ORIGINAL_TAG = 'original';

/**
 * Where images and labels live (MONAI Label's `Datastore`). Ids come from clients and are kept verbatim; how they map
 * to files is the implementation's business. Unknown ids throw `IMAGE_NOT_FOUND` / `LABEL_NOT_FOUND` ApiErrors.
 */
export interface Datastore {
  listImages(): Promise<string[]>;
  /** Images without a label of `tag` (default `final`), sorted by id. */
  unlabeledImages(tag?: string): Promise<string[]>;
  imageInfo(id: string): Promise<JsonObject>;
  imagePath(id: string): Promise<string>;
  labelInfo(id: string, tag: string): Promise<JsonObject>;
  labelPath(id: string, tag: string): Promise<string>;
  /** Stores (or replaces, resetting its labels) an image; `id` defaults to the upload's name minus its extension. */
  addImage(id: string | undefined, file: IncomingFile, info: JsonObject): Promise<string>;
  /** Stores a label for an existing image after checking it lies on the image's voxel grid. */
  saveLabel(id: string, tag: string, file: IncomingFile, info: JsonObject): Promise<string>;
  updateImageInfo(id: string, patch: JsonObject): Promise<void>;
  stats(): Promise<DatastoreStats>;
  dump(): Promise<DatastoreModel>;
  /** Image/label absolute path pairs for a tag (default `final`), for `?output=train` and trainers. */
  trainingPairs(tag?: string): Promise<TrainingPair[]>;
  /**
   * Only for datastores whose images are DICOM series (`/infer?output=dicom_seg|rtstruct`): the label file, which lies
   * on image `id`'s grid, as a DICOM SEG or RT Structure Set referencing that series, not stored anywhere.
   */
  derivedDicomFor?(id: string, labelPath: string, kind: DerivedDicomKind): Promise<DicomObject>;
}

/** The DICOM objects a label can be written as: a SEG (voxels) or an RT Structure Set (contours). */
export type DerivedDicomKind = 'seg' | 'rtstruct';

/** An encoded DICOM object (Part 10 file bytes). */
export interface DicomObject {
  readonly bytes: Uint8Array;
  readonly sopInstanceUid: string;
}
