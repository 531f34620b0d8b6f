import type { Datastore } from './datastore';
import type { InferTask, ScoringMethod, Strategy, TrainTask } from './tasks';

/**
 * An app is a registry: a datastore plus named tasks. `/info/` is assembled only from the tasks' `info()` calls,
 * so adding a model means adding one app (or one more task) without touching the protocol layer.
 */
export interface App {
  readonly name: string;
  readonly description: string;
  readonly version: string;
  readonly datastore: Datastore;
  readonly infers: ReadonlyMap<string, InferTask>;
  readonly trainers: ReadonlyMap<string, TrainTask>;
  readonly strategies: ReadonlyMap<string, Strategy>;
  readonly scoring: ReadonlyMap<string, ScoringMethod>;
  /** Releases what the app holds (model workers); called once on server shutdown. */
  close(): Promise<void>;
}
