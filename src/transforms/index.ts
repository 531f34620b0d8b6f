/** Spatial and intensity transforms, each a pure function over a Volume, MONAI 1.4.0 semantics. */
export { preprocessForNetwork, invertLabels, type IntensityStep, type PreprocessInverse, type Preprocessed, type PreprocessSpec } from './networkPreprocess';
export { orientToRas, undoOrientation, ioOrientation, type Orientation, type OrientationRecord, type AxisOrientation } from './orientation';
export { resampleToSpacing, resampleToSpacingNearest, undoSpacingNearest, type SpacingRecord } from './spacing';
export { planSpacing, planInverse, planResample, type ResamplePlan } from './spacingGeometry';
export { normalizeNonzero, scaleIntensity, type IntensityOptions } from './intensity';
