import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { DatastoreModel } from '../core/datastore';
import { INDEX_FILE } from './datastoreIndex';
import { objectOf } from './modelQueries';
import { IMAGE_EXTENSIONS, LABEL_EXTENSIONS, isValidId, isValidTag, splitFileName } from '../core/fileNames';

/** Visible regular files of a folder (hidden names are temp files; the index is not an image). */
async function plainFiles(dir: string): Promise<Set<string>> {
  const files = new Set<string>();
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return files;
    throw e;
  }
  for (const entry of entries) {
    if (!entry.isFile() || entry.name.startsWith('.') || entry.name === INDEX_FILE) continue;
    files.add(entry.name);
  }
  return files;
}

async function mtimeSeconds(file: string): Promise<number> {
  return Math.floor((await fs.stat(file)).mtimeMs / 1000);
}

/** The stem shared by an image file and its label files: the image name minus its extension. */
export function imageStem(model: DatastoreModel, id: string): string {
  const image = objectOf(model, id).image;
  const name = image.info.name as string;
  return name.toLowerCase().endsWith(image.ext) ? name.slice(0, name.length - image.ext.length) : name;
}

/**
 * Brings the index in line with the folder: images and labels added by hand appear, entries whose file is gone
 * disappear (MONAI Label's auto-reload). Returns whether the model changed.
 */
export async function reconcileWithFolder(model: DatastoreModel, root: string): Promise<boolean> {
  let changed = false;
  const images = await plainFiles(root);
  const indexed = new Set<string>();
  for (const [id, object] of Object.entries(model.objects)) {
    const name = object.image.info.name as string;
    if (images.has(name)) {
      indexed.add(name);
    } else {
      delete model.objects[id];
      changed = true;
    }
  }
  for (const name of [...images].sort()) {
    const split = indexed.has(name) ? null : splitFileName(name, IMAGE_EXTENSIONS);
    if (!split) continue;
    const id = isValidId(split.stem) && !Object.hasOwn(model.objects, split.stem) ? split.stem : name;
    if (Object.hasOwn(model.objects, id)) continue;
    model.objects[id] = { image: { ext: split.ext, info: { ts: await mtimeSeconds(path.join(root, name)), name } }, labels: {} };
    changed = true;
  }
  return (await reconcileLabels(model, root)) || changed;
}

async function reconcileLabels(model: DatastoreModel, root: string): Promise<boolean> {
  let changed = false;
  const labelsRoot = path.join(root, model.labels_dir);
  const tagDirs = await fs.readdir(labelsRoot, { withFileTypes: true }).catch(() => []);
  const filesByTag = new Map<string, Set<string>>();
  for (const dir of tagDirs) {
    if (dir.isDirectory() && isValidTag(dir.name)) filesByTag.set(dir.name, await plainFiles(path.join(labelsRoot, dir.name)));
  }
  const idByStem = new Map(Object.keys(model.objects).map((id) => [imageStem(model, id), id] as const));
  for (const object of Object.values(model.objects)) {
    for (const [tag, label] of Object.entries(object.labels)) {
      if (!filesByTag.get(tag)?.has(label.info.name as string)) {
        delete object.labels[tag];
        changed = true;
      }
    }
  }
  for (const [tag, files] of filesByTag) {
    for (const name of [...files].sort()) {
      const split = splitFileName(name, LABEL_EXTENSIONS);
      const id = split ? idByStem.get(split.stem) : undefined;
      const object = id === undefined ? undefined : model.objects[id];
      if (!split || !object || Object.hasOwn(object.labels, tag)) continue;
      const ts = await mtimeSeconds(path.join(labelsRoot, tag, name));
      object.labels[tag] = { ext: split.ext, info: { ts, name } };
      changed = true;
    }
  }
  return changed;
}
