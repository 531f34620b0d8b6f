import { LocalDatastore } from '../../datastore/localDatastore';
import type { App } from '../../core/app';
import type { Datastore } from '../../core/datastore';
import type { VolumeReader } from '../../core/volumeReader';
import type { InferTask, ScoringMethod, Strategy, TrainTask } from '../../core/tasks';
import { DiceScoring } from '../../tasks/diceScoring';
import { FirstStrategy, RandomStrategy } from '../../tasks/strategies';
import { BUNDLE_CHANNEL_NAMES } from './bundleLabels';
import type { ModelFiles } from './modelVersions';
import type { EngineInfo } from '../../model/engineInfo';
import type { Segmenter } from './segmenter';
import { WHOLE_BODY_MODEL, WholeBodyInferTask } from './wholeBodyInferTask';
import { WholeBodyTrainer, type WholeBodyTrainerOptions } from './wholeBodyTrainer';

/** Where the images live: a studies folder (a LocalDatastore, created when missing) or a ready datastore (DICOMweb). */
export type TotalSegStudies = { readonly studiesDir: string; readonly datastore?: never } | { readonly datastore: Datastore; readonly studiesDir?: never };

export type TotalSegAppOptions = TotalSegStudies & {
  /** Weights per resolution: fixed files, or `ModelVersions` (fine-tuned versions swap in after training). */
  readonly modelFiles: ModelFiles;
  /** Runs the model (`SegmentationRunner`); closed with the app when it has a `close()`. */
  readonly segmenter: Segmenter & { close?(): Promise<void> };
  readonly readVolume: VolumeReader;
  /** The trainer; without it the app lists no trainer and Slicer hides its train panel. */
  readonly trainer?: WholeBodyTrainerOptions;
  readonly onWarning?: (message: string) => void;
  /** The engine the segmenter runs on (`engineInfo` of the runner's choice), for `/info` and the `precision` option. */
  readonly engine: EngineInfo;
};

/** The whole-body CT app: one segmentation model, strategies random/first, Dice scoring, optional trainer. */
export async function createTotalSegApp(options: TotalSegAppOptions): Promise<App> {
  const datastore = options.datastore ?? (await LocalDatastore.open({ root: options.studiesDir, readVolume: options.readVolume, onWarning: options.onWarning }));
  const labelNames = Object.fromEntries(BUNDLE_CHANNEL_NAMES.map((name, i) => [i, name.toLowerCase()]));
  const trainers = new Map<string, TrainTask>(options.trainer ? [[WHOLE_BODY_MODEL, new WholeBodyTrainer(options.trainer)]] : []);
  return {
    name: 'wbct - Whole-body CT segmentation',
    description: 'MONAI bundle wholeBody_ct_segmentation (SegResNet, 104 structures) served in TypeScript',
    version: '0.1.0',
    datastore,
    infers: new Map<string, InferTask>([[WHOLE_BODY_MODEL, new WholeBodyInferTask({ segmenter: options.segmenter, modelFiles: options.modelFiles, engine: options.engine })]]),
    trainers,
    strategies: new Map<string, Strategy>([
      ['random', new RandomStrategy()],
      ['first', new FirstStrategy()],
    ]),
    scoring: new Map<string, ScoringMethod>([['dice', new DiceScoring(options.readVolume, labelNames)]]),
    close: async () => {
      await options.segmenter.close?.();
    },
  };
}
