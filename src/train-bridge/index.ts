/** Fine-tuning SegResNet with TensorFlow.js: the server-facing surface of src/train-bridge. */
export { startTrainWorker, type TrainWorkerHandle, type TrainWorkerHandlers } from './trainWorkerClient';
export { runTrainJob, checkWindowFitsBackend, type TrainJob, type TrainJobResult, type TrainJobHooks, type ImageLabelFiles } from './trainJob';
export { trainSegResNet, validate, type TrainLoopOptions, type TrainProgress, type TrainResult } from './trainLoop';
export { plannedTfBackend } from './plannedBackend';
export { initTfBackend, type TfBackendInfo, type TfBackendName, type BackendPreference } from './tfBackend';
export { TRAIN_SCOPES, defaultTrainScope, parseTrainScope, type TrainScope } from './trainScope';
export { type FeatureExtractor, TfFeatureExtractor, type Dims3 } from './featureExtractor';
export { CachingFeatureExtractor } from './cachingFeatureExtractor';
export { preprocessTrainPair, type TrainPair, type TrainPreprocessOptions } from './trainPreprocess';
export { TfSegResNet } from './tfSegResNet';
export { SegResNetTrainer, type TrainSample, type TrainerOptions } from './segResNetTrainer';
