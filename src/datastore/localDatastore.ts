import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ApiError } from '../core/errors';
import type { JsonObject } from '../core/json';
import {
  FINAL_TAG,
  type Datastore,
  type DatastoreModel,
  type DatastoreStats,
  type IncomingFile,
  type TrainingPair,
} from '../core/datastore';
import type { VolumeReader } from '../core/volumeReader';
import { INDEX_FILE, readIndex, writeIndex } from './datastoreIndex';
import { imageStem, reconcileWithFolder } from './folderScan';
import { IMAGE_EXTENSIONS, LABEL_EXTENSIONS, fileStemForId, isValidId, isValidTag, splitFileName } from '../core/fileNames';
import { gridMismatch } from '../core/gridCheck';
import { ImageGridCache } from './imageGridCache';
import { idsWithoutLabel, labelDir, labelOf, objectOf, statsOf, trainingPairsOf } from './modelQueries';
import { SerialLock } from './serialLock';
import { StagedUpload } from '../util/stagedUpload';

export interface LocalDatastoreOptions {
  /** The studies folder: images at its top level, labels in `labels/<tag>/`, the index in `datastore_v2.json`. */
  readonly root: string;
  /** Reads uploads to reject non-images and labels off their image's grid. */
  readonly readVolume: VolumeReader;
  /** Called with a warning when the index had to be rebuilt. */
  readonly onWarning?: (message: string) => void;
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** MONAI Label's local datastore: a folder plus a JSON index, every write atomic, hand-added files picked up. */
export class LocalDatastore implements Datastore {
  private readonly lock = new SerialLock();
  private readonly grids: ImageGridCache;

  private constructor(
    private readonly root: string,
    private readonly model: DatastoreModel,
    private readonly readVolume: VolumeReader,
  ) {
    this.grids = new ImageGridCache(readVolume);
  }

  static async open(options: LocalDatastoreOptions): Promise<LocalDatastore> {
    const root = path.resolve(options.root);
    await fs.mkdir(path.join(root, 'labels'), { recursive: true });
    await removeLeftoverTempFiles(root);
    const { model, problem } = await readIndex(path.join(root, INDEX_FILE));
    if (problem) options.onWarning?.(problem);
    const store = new LocalDatastore(root, model, options.readVolume);
    await store.lock.run(() => store.sync(true));
    return store;
  }

  listImages(): Promise<string[]> {
    return this.read((m) => Object.keys(m.objects).sort());
  }

  unlabeledImages(tag: string = FINAL_TAG): Promise<string[]> {
    return this.read((m) => idsWithoutLabel(m, tag));
  }

  imageInfo(id: string): Promise<JsonObject> {
    return this.read((m) => structuredClone(objectOf(m, id).image.info));
  }

  imagePath(id: string): Promise<string> {
    return this.read((m) => path.join(this.root, objectOf(m, id).image.info.name as string));
  }

  labelInfo(id: string, tag: string): Promise<JsonObject> {
    return this.read((m) => structuredClone(labelOf(m, id, tag).info));
  }

  labelPath(id: string, tag: string): Promise<string> {
    return this.read((m) => path.join(this.labelDir(tag), labelOf(m, id, tag).info.name as string));
  }

  async addImage(id: string | undefined, file: IncomingFile, info: JsonObject): Promise<string> {
    const split = file.fileName ? splitFileName(file.fileName, IMAGE_EXTENSIONS) : { stem: '', ext: '.nii.gz' };
    if (!split) throw new ApiError('NOT_AN_IMAGE', `image "${file.fileName}" has an unsupported extension; expected one of ${IMAGE_EXTENSIONS.join(', ')}`);
    const imageId = id ?? split.stem;
    if (!isValidId(imageId)) throw new ApiError('BAD_REQUEST', `image id ${JSON.stringify(imageId)} is empty, longer than 512 characters, has control characters or is reserved`);
    const staged = await StagedUpload.stage(file, this.root, split.ext);
    try {
      await staged.read(this.readVolume);
      return await this.lock.run(async () => {
        await this.sync(false);
        const existing = Object.hasOwn(this.model.objects, imageId);
        const stem = existing ? imageStem(this.model, imageId) : this.freeStem(fileStemForId(imageId));
        const name = `${stem}${split.ext}`;
        const previous = existing ? (objectOf(this.model, imageId).image.info.name as string) : name;
        if (existing) await this.removeLabelsOf(imageId);
        const before = this.model.objects[imageId];
        // The index names the file before it is renamed into place: killed in between, the folder scan drops an
        // entry without its file; the other order brought an id like "6: CT Chest" back as its file name's stem.
        this.model.objects[imageId] = { image: { ext: split.ext, info: { ...info, ts: nowSeconds(), name } }, labels: {} };
        await this.save();
        try {
          await staged.commit(path.join(this.root, name));
        } catch (e) {
          if (before) this.model.objects[imageId] = before;
          else delete this.model.objects[imageId];
          await this.save();
          throw e;
        }
        // Only now that the index names the new file: removed earlier, a crash or a failed rename lost the image.
        if (previous !== name) await fs.rm(path.join(this.root, previous), { force: true });
        return imageId;
      });
    } finally {
      await staged.discard();
    }
  }

  async saveLabel(id: string, tag: string, file: IncomingFile, info: JsonObject): Promise<string> {
    if (!isValidTag(tag)) throw new ApiError('INVALID_PARAM', `label tag ${JSON.stringify(tag)} must be 1-64 letters, digits, "_" or "-"`);
    const split = file.fileName ? splitFileName(file.fileName, LABEL_EXTENSIONS) : { stem: '', ext: '.nii.gz' };
    if (!split) throw new ApiError('NOT_AN_IMAGE', `label "${file.fileName}" has an unsupported extension; expected one of ${LABEL_EXTENSIONS.join(', ')}`);
    await this.imagePath(id); // an unknown image is refused before the upload is read
    const staged = await StagedUpload.stage(file, this.labelDir(tag), split.ext);
    try {
      const label = await staged.read(this.readVolume);
      return await this.lock.run(async () => {
        await this.sync(false);
        const object = objectOf(this.model, id);
        // The grid is checked under the lock, against the image stored now: an image replaced while this label was
        // read has another grid (and has dropped its labels), so the label must meet that one.
        const mismatch = gridMismatch(await this.grids.gridOf(path.join(this.root, object.image.info.name as string)), label);
        if (mismatch) throw new ApiError('GRID_MISMATCH', `label for image ${JSON.stringify(id)} does not match its image: ${mismatch}`);
        const name = `${imageStem(this.model, id)}${split.ext}`;
        const previous = Object.hasOwn(object.labels, tag) ? object.labels[tag] : undefined;
        await staged.commit(path.join(this.labelDir(tag), name));
        if (previous && previous.info.name !== name) await fs.rm(path.join(this.labelDir(tag), previous.info.name as string), { force: true });
        object.labels[tag] = { ext: split.ext, info: { ...info, ts: nowSeconds(), name } };
        await this.save();
        return id;
      });
    } finally {
      await staged.discard();
    }
  }

  updateImageInfo(id: string, patch: JsonObject): Promise<void> {
    return this.lock.run(async () => {
      await this.sync(false);
      const image = objectOf(this.model, id).image;
      image.info = { ...image.info, ...patch, name: image.info.name as string };
      await this.save();
    });
  }

  stats(): Promise<DatastoreStats> {
    return this.read(statsOf);
  }

  dump(): Promise<DatastoreModel> {
    return this.read((m) => structuredClone(m));
  }

  trainingPairs(tag: string = FINAL_TAG): Promise<TrainingPair[]> {
    return this.read((m) => trainingPairsOf(this.root, m, tag));
  }

  private read<T>(view: (model: DatastoreModel) => T): Promise<T> {
    return this.lock.run(async () => {
      await this.sync(false);
      return view(this.model);
    });
  }

  private async sync(forceSave: boolean): Promise<void> {
    if ((await reconcileWithFolder(this.model, this.root)) || forceSave) await this.save();
  }

  private save(): Promise<void> {
    return writeIndex(path.join(this.root, INDEX_FILE), this.model);
  }

  private labelDir(tag: string): string {
    return labelDir(this.root, this.model, tag);
  }

  /** A stem no other object uses (a cleaned id could, rarely, equal another id's stem). */
  private freeStem(stem: string): string {
    const used = new Set(Object.keys(this.model.objects).map((id) => imageStem(this.model, id).toLowerCase()));
    let candidate = stem;
    for (let n = 2; used.has(candidate.toLowerCase()); n++) candidate = `${stem}-${n}`;
    return candidate;
  }

  /**
   * Replacing an image drops its labels, files too (a rescan would bring them back), before the new image is put in
   * place: were they still there after a crash, the scan would pair them with the new image.
   */
  private async removeLabelsOf(id: string): Promise<void> {
    const object = objectOf(this.model, id);
    for (const [tag, label] of Object.entries(object.labels)) await fs.rm(path.join(this.labelDir(tag), label.info.name as string), { force: true });
    object.labels = {};
  }
}

/** Hidden `.…tmp…` files are uploads or index writes cut short by a crash. */
async function removeLeftoverTempFiles(root: string): Promise<void> {
  const dirs = [root, ...(await fs.readdir(path.join(root, 'labels'))).map((d) => path.join(root, 'labels', d))];
  for (const dir of dirs) {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (e.isFile() && e.name.startsWith('.') && (e.name.includes('.tmp') || e.name.startsWith('.upload-'))) await fs.rm(path.join(dir, e.name), { force: true });
    }
  }
}
