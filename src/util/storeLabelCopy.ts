import * as fs from 'node:fs/promises';
import type { Datastore } from '../core/datastore';
import type { LabelDestination } from '../core/inferBackend';
import type { JsonObject } from '../core/json';

/**
 * Stores a result label as `destination` with the run's answer params in its info. The datastore takes the file it
 * is given, and the caller still needs its own (to answer the client), so a copy beside it is what is handed over.
 */
export async function storeLabelCopy(datastore: Datastore, destination: LabelDestination, labelPath: string, fileName: string, params: JsonObject): Promise<void> {
  const copy = `${labelPath}.stored`;
  await fs.copyFile(labelPath, copy);
  try {
    await datastore.saveLabel(destination.imageId, destination.tag, { tempPath: copy, fileName }, { ...destination.info, params });
  } finally {
    await fs.rm(copy, { force: true });
  }
}
