import type { Vec3 } from '../core/volume';
import { readImage } from '../io';
import { readTorchStateDict } from '../weights/readTorchStateDict';
import { writeTorchStateDict } from '../weights/writeTorchStateDict';
import { CachingFeatureExtractor } from './cachingFeatureExtractor';
import { OnnxFeatureExtractor } from './onnxFeatureExtractor';
import { BackendPreference, TfBackendInfo, initTfBackend } from './tfBackend';
import { TfSegResNet } from './tfSegResNet';
import { TrainLoopOptions, TrainProgress, trainSegResNet } from './trainLoop';
import { TrainPair, preprocessTrainPair } from './trainPreprocess';
import { TrainScope, defaultTrainScope } from './trainScope';

export interface ImageLabelFiles {
  readonly image: string;
  readonly label: string;
}

/** Everything a training run needs, as plain data (it crosses the worker boundary). */
export interface TrainJob {
  /** Starting weights (.pt state_dict). */
  readonly weightsPath: string;
  /** Where the best weights go (.pt, written atomically) if any validation improved on the start. */
  readonly outputPath: string;
  readonly train: readonly ImageLabelFiles[];
  /** Validation pairs; empty = validate on the training pairs. */
  readonly val?: readonly ImageLabelFiles[];
  /** Spacingd pixdim (1.5 for model.pt, 3.0 for model_lowres.pt). */
  readonly spacingMm: number;
  /** Default: `all` on a native backend, `head` on pure TensorFlow.js. */
  readonly scope?: TrainScope;
  readonly backend?: BackendPreference;
  readonly options: Omit<TrainLoopOptions, 'scope' | 'features' | 'signal' | 'onProgress' | 'onLog'>;
}

export interface TrainJobResult {
  readonly backend: TfBackendInfo;
  readonly scope: TrainScope;
  /** Set when new best weights were written. */
  readonly outputPath?: string;
  readonly bestMetric: number;
  readonly bestEpoch: number;
  readonly epochsRun: number;
  readonly stopped: boolean;
}

export interface TrainJobHooks {
  readonly signal?: AbortSignal;
  readonly onLog?: (line: string) => void;
  readonly onProgress?: (p: TrainProgress) => void;
  readonly onStart?: (backend: TfBackendInfo, scope: TrainScope) => void;
}

/**
 * Largest training window per scope that the wasm backend's heap (4 GB address space, ~2 GB usable in practice)
 * held on the bundle-size model: measured 48^3 for `decoder` (64^3 aborts) and 32^3 for `all` (48^3 aborts).
 */
const WASM_MAX_WINDOW: Record<TrainScope, number> = { head: Infinity, decoder: 48 ** 3, all: 32 ** 3 };

export function checkWindowFitsBackend(backend: TfBackendInfo, scope: TrainScope, roi: Vec3, initFilters: number): void {
  const voxels = roi[0] * roi[1] * roi[2] * (initFilters / 32);
  if (backend.backend === 'wasm' && voxels > WASM_MAX_WINDOW[scope]) {
    throw new RangeError(
      `training scope "${scope}" with a ${roi.join('x')} window does not fit the wasm backend's memory; ` +
        'use scope "head", a smaller roi, or install @tensorflow/tfjs-node (or tfjs-node-gpu)',
    );
  }
}

async function loadPairs(files: readonly ImageLabelFiles[], spacingMm: number, kDivisible: TrainLoopOptions['roi']): Promise<TrainPair[]> {
  const pairs: TrainPair[] = [];
  for (const f of files) {
    const image = (await readImage(f.image)).volume;
    const label = (await readImage(f.label, { voxels: 'stored' })).volume;
    pairs.push(preprocessTrainPair(image, label, { spacingMm, kDivisible }, `${f.image} + ${f.label}`));
  }
  return pairs;
}

/** Loads, preprocesses, trains and saves: the whole training task, in whatever thread calls it. */
export async function runTrainJob(job: TrainJob, hooks: TrainJobHooks = {}): Promise<TrainJobResult> {
  const log = hooks.onLog ?? (() => undefined);
  const backend = await initTfBackend(job.backend);
  const scope = job.scope ?? defaultTrainScope(backend.wholeNetwork);
  hooks.onStart?.(backend, scope);
  log(`TensorFlow.js backend ${backend.backend} (${backend.package}), training scope ${scope}`);
  const roi = job.options.roi ?? [96, 96, 96];
  const weights = await readTorchStateDict(job.weightsPath);
  const net = TfSegResNet.fromStateDict(weights, backend.convMode, job.weightsPath);
  let train: TrainPair[];
  let val: TrainPair[];
  try {
    checkWindowFitsBackend(backend, scope, roi, net.spec.initFilters);
    train = await loadPairs(job.train, job.spacingMm, roi);
    val = await loadPairs(job.val ?? [], job.spacingMm, roi);
  } catch (e) {
    net.dispose();
    throw e;
  }
  log(`loaded ${train.length} training and ${val.length} validation volumes`);
  for (const p of [...train, ...val]) {
    const max = p.label.data.reduce((a, b) => Math.max(a, b), 0);
    if (max >= net.spec.outChannels) throw new RangeError(`label value ${max} is not one of the model's ${net.spec.outChannels} classes`);
  }
  // The frozen part of head-only training runs on onnxruntime, like inference.
  const features = scope === 'head' ? new CachingFeatureExtractor(await OnnxFeatureExtractor.fromStateDict(weights)) : undefined;
  try {
    const result = await trainSegResNet(net, train, val, { ...job.options, scope, features, signal: hooks.signal, onLog: log, onProgress: hooks.onProgress });
    let outputPath: string | undefined;
    if (result.bestEpoch >= 1) {
      await writeTorchStateDict(job.outputPath, result.best);
      outputPath = job.outputPath;
      log(`saved the best weights (epoch ${result.bestEpoch}, mean Dice ${result.bestMetric.toFixed(4)}) to ${job.outputPath}`);
    } else log('no validation improved on the starting weights; nothing saved');
    return { backend, scope, outputPath, bestMetric: result.bestMetric, bestEpoch: result.bestEpoch, epochsRun: result.epochsRun, stopped: result.stopped };
  } finally {
    await features?.dispose();
    net.dispose();
  }
}
