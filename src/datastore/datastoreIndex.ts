import * as fs from 'node:fs/promises';
import { isJsonObject, type JsonObject } from '../core/json';
import type { DataModel, DatastoreModel, ImageLabelModel } from '../core/datastore';
import { writeFileAtomic } from '../util/atomicWrite';
import { isPlainFileName, isValidId, isValidTag } from '../core/fileNames';

/** MONAI Label's index file name inside the studies folder. */
export const INDEX_FILE = 'datastore_v2.json';

export function emptyModel(): DatastoreModel {
  return { name: 'new-dataset', description: 'New Dataset', images_dir: '.', labels_dir: 'labels', objects: {} };
}

function dataModelOf(v: unknown): DataModel | null {
  if (!isJsonObject(v) || typeof v.ext !== 'string') return null;
  const info = isJsonObject(v.info) ? v.info : {};
  if (typeof info.name !== 'string' || !isPlainFileName(info.name)) return null;
  return { ext: v.ext, info };
}

function objectOf(v: unknown): ImageLabelModel | null {
  if (!isJsonObject(v)) return null;
  const image = dataModelOf(v.image);
  if (!image) return null;
  const labels: Record<string, DataModel> = {};
  if (isJsonObject(v.labels)) {
    for (const [tag, label] of Object.entries(v.labels)) {
      const model = isValidTag(tag) ? dataModelOf(label) : null;
      if (model) labels[tag] = model;
    }
  }
  return { image, labels };
}

/**
 * Reads the index, keeping only well-formed entries whose file names are plain names (a hand-edited index cannot
 * point outside the folder). A missing or unreadable index yields an empty model; the folder scan rebuilds it.
 */
export async function readIndex(file: string): Promise<{ model: DatastoreModel; problem: string | null }> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { model: emptyModel(), problem: code === 'ENOENT' ? null : `cannot read ${file}: ${String(e)}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { model: emptyModel(), problem: `${file} is not valid JSON (${String(e)}); rebuilding the index from the folder` };
  }
  if (!isJsonObject(raw)) return { model: emptyModel(), problem: `${file} does not hold a JSON object; rebuilding the index` };
  const model = emptyModel();
  if (typeof raw.name === 'string') model.name = raw.name;
  if (typeof raw.description === 'string') model.description = raw.description;
  const objects: JsonObject = isJsonObject(raw.objects) ? raw.objects : {};
  for (const [id, value] of Object.entries(objects)) {
    const object = isValidId(id) ? objectOf(value) : null;
    if (object) model.objects[id] = object;
  }
  return { model, problem: null };
}

export async function writeIndex(file: string, model: DatastoreModel): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(model, null, 2));
}
