import * as path from 'node:path';
import { waitFor } from '../../helpers/waitFor';
import { call, postJson } from './httpCalls';
import { KillRestartRig, type PointResult } from './killRestartRig';
import { MODEL, checkModels, versionFiles } from './modelChecks';
import { NiftiPayloads } from './niftiPayloads';

/** One epoch of the bundle recipe on one small volume with the tiny weights: about 12 s on 2 cores. */
export const ONE_EPOCH = { max_epochs: 1, highres: true, lr: 0.01, val_split: 0 };
const IMAGE = 'train-1';

export interface TrainTask {
  status?: string;
  details?: string[];
  result?: { published?: string | null };
}

/**
 * Kill points during trainings on a KillRestartRig: one image with a `final` label to train on, trainings of one
 * epoch (highres, so that `GET /model/info` follows the versions), and after each restart the model checks of
 * `checkModels` on top of the rig's own. Tracks which version is in service as acknowledged: a training seen DONE
 * with a published version, or what the last restart found.
 */
export class TrainingKillPoints {
  /** The highres version in service (`active.json`'s entry); null: the bundle's model.pt. */
  acknowledged: string | null = null;

  private constructor(
    readonly rig: KillRestartRig,
    private readonly small: NiftiPayloads,
  ) {}

  static async start(prefix: string): Promise<TrainingKillPoints> {
    const rig = await KillRestartRig.start(prefix);
    // 24^3 voxels at 3 mm: 48^3 at the highres model's 1.5 mm, inside one 96^3 training crop.
    const small = await NiftiPayloads.create(path.join(rig.base, 'payloads'), [24, 24, 24], 3);
    if ((await rig.writes.putImage(rig.url, IMAGE, small.imageBytes(1))) !== 'acknowledged') throw new Error('the training image was not stored');
    if ((await rig.writes.putLabel(rig.url, IMAGE, 'final', small.labelBytes(1))) !== 'acknowledged') throw new Error('the training label was not stored');
    return new TrainingKillPoints(rig, small);
  }

  get versionsDir(): string {
    return path.join(this.rig.modelsDir, 'versions');
  }

  /**
   * Starts a one-epoch training and watches `GET /train/` until the server stops answering, or the training is
   * DONE; kills when `until` holds for an answer. Without `until`, something else is meant to kill.
   */
  async train(until?: (task: TrainTask) => boolean): Promise<void> {
    const started = await postJson(`${this.rig.url}/train/${MODEL}`, ONE_EPOCH);
    if (started.status !== 200) throw new Error(`POST /train answered ${started.status}: ${started.body.toString('utf8')}`);
    const server = this.rig.server;
    let last: TrainTask | undefined;
    // true once the watch is over: the server stopped answering, `until` held (and the kill is sent), or DONE.
    const watched = async (): Promise<boolean> => {
      let task: TrainTask | undefined;
      try {
        task = (await call(`${server.url}/train/`)).json<TrainTask>();
      } catch {
        return true;
      }
      last = task;
      if (task?.status === 'DONE' && task.result?.published) this.acknowledged = path.relative(this.rig.modelsDir, task.result.published);
      if (task && until?.(task)) {
        await this.rig.kill9();
        return true;
      }
      if (task?.status !== undefined && !['SUBMITTED', 'RUNNING', 'DONE'].includes(task.status)) throw new Error(`training ended ${task.status}: ${JSON.stringify(task.details)}`);
      return task?.status === 'DONE';
    };
    await waitFor(watched, { what: 'the one-epoch training to end', timeoutMs: 100_000, intervalMs: 100, detail: () => `last task: ${JSON.stringify(last)}` });
  }

  /** Trains and kills as soon as a file matching `name` shows up in `dir`; resolves with the name seen ('' if none). */
  async trainAndKillOnFile(dir: string, name: RegExp): Promise<string> {
    const trigger = this.rig.killOnFile(dir, name);
    await this.train();
    return trigger.firedWithin(1000);
  }

  /** A kill point during `action`, with paced small writes alongside; then the rig's checks and the model checks. */
  async point(name: string, action: () => Promise<void>): Promise<PointResult> {
    const before = new Set(versionFiles(this.rig.modelsDir));
    let found: string | null = null;
    const result = await this.rig.point(
      name,
      // Paced so that the writes do not take the training's CPU on 2 cores.
      () => this.rig.withBackgroundWrites(this.small, action, 250),
      async (rig) => {
        const candidates = versionFiles(rig.modelsDir).filter((v) => !before.has(v));
        const check = await checkModels(rig.modelsDir, rig.url, this.acknowledged, candidates, IMAGE);
        found = check.active;
        return check;
      },
    );
    this.acknowledged = found;
    return result;
  }

  close(): Promise<void> {
    return this.rig.close();
  }
}
