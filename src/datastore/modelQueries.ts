import * as path from 'node:path';
import { ApiError } from '../core/errors';
import { FINAL_TAG, type DataModel, type DatastoreModel, type DatastoreStats, type ImageLabelModel, type TrainingPair } from '../core/datastore';

/** Pure reads of a datastore model; unknown ids throw the catalogue's 404s. */

export function objectOf(model: DatastoreModel, id: string): ImageLabelModel {
  const object = Object.hasOwn(model.objects, id) ? model.objects[id] : undefined;
  if (!object) throw new ApiError('IMAGE_NOT_FOUND', `Image NOT Found: ${JSON.stringify(id)}`);
  return object;
}

/** A label tag is a key of `labels` only as an own property: `toString` or `constructor` must not find Object's. */
export function hasLabel(object: ImageLabelModel, tag: string): boolean {
  return Object.hasOwn(object.labels, tag);
}

/** The object's label `tag`, looked up as an own property only. */
function ownLabel(object: ImageLabelModel, tag: string): DataModel | undefined {
  return Object.hasOwn(object.labels, tag) ? object.labels[tag] : undefined;
}

export function labelOf(model: DatastoreModel, id: string, tag: string): DataModel {
  const label = ownLabel(objectOf(model, id), tag);
  if (!label) throw new ApiError('LABEL_NOT_FOUND', `Label NOT Found: image ${JSON.stringify(id)} has no "${tag}" label`);
  return label;
}

export function labelDir(root: string, model: DatastoreModel, tag: string): string {
  return path.join(root, model.labels_dir, tag);
}

export function statsOf(model: DatastoreModel): DatastoreStats {
  // Null prototype: a tag named `toString` or `constructor` starts at 0 like any other.
  const label_tags: Record<string, number> = Object.create(null) as Record<string, number>;
  let completed = 0;
  for (const object of Object.values(model.objects)) {
    if (hasLabel(object, FINAL_TAG)) completed++;
    for (const tag of Object.keys(object.labels)) label_tags[tag] = (label_tags[tag] ?? 0) + 1;
  }
  return { total: Object.keys(model.objects).length, completed, label_tags };
}

export function idsWithoutLabel(model: DatastoreModel, tag: string): string[] {
  return Object.entries(model.objects)
    .filter(([, object]) => !hasLabel(object, tag))
    .map(([id]) => id)
    .sort();
}

export function trainingPairsOf(root: string, model: DatastoreModel, tag: string): TrainingPair[] {
  return Object.keys(model.objects)
    .sort()
    .flatMap((id) => {
      const object = objectOf(model, id);
      const label = ownLabel(object, tag);
      return label ? [{ image: path.join(root, object.image.info.name as string), label: path.join(labelDir(root, model, tag), label.info.name as string) }] : [];
    });
}
