import type { App } from '../core/app';
import type { InferTaskInfo } from '../core/tasks';
import type { JsonObject } from '../core/json';

function labelNames(labels: InferTaskInfo['labels']): string[] {
  if (Array.isArray(labels)) return [...(labels as readonly string[])];
  return Object.entries(labels as Readonly<Record<string, number>>)
    .sort((a, b) => a[1] - b[1])
    .map(([name]) => name);
}

function mapInfo<T>(tasks: ReadonlyMap<string, T>, info: (t: T) => unknown): JsonObject {
  return Object.fromEntries([...tasks].map(([name, task]) => [name, JSON.parse(JSON.stringify(info(task)))]));
}

/**
 * `GET /info/`, assembled only from the tasks' `info()` calls (MONAI Label's `MONAILabelApp.info()`): top-level
 * `labels` is the models' labels merged in index order. There is deliberately no top-level `config` key (Slicer
 * would ask for a server upgrade).
 */
export async function appInfo(app: App): Promise<JsonObject> {
  const labels: string[] = [];
  for (const task of app.infers.values()) {
    for (const name of labelNames(task.info().labels)) if (!labels.includes(name)) labels.push(name);
  }
  return {
    name: app.name,
    description: app.description,
    version: app.version,
    labels,
    models: mapInfo(app.infers, (t) => t.info()),
    trainers: mapInfo(app.trainers, (t) => t.info()),
    strategies: mapInfo(app.strategies, (t) => t.info()),
    scoring: mapInfo(app.scoring, (t) => t.info()),
    train_stats: mapInfo(app.trainers, (t) => t.stats()),
    datastore: { ...(await app.datastore.stats()) },
  };
}
