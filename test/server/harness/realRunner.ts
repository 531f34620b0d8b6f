import * as fs from 'node:fs';
import * as path from 'node:path';
import { SegmentationRunner } from '../../../src/infer/segmentationRunner';
import { projectRoot } from '../../../src/util/projectRoot';

/** The tiny SegResNet (init_filters 8, seed 1) copied from the MONAI oracle: the real model code path in seconds. */
export const TINY_MODEL = path.join(projectRoot(), 'test', 'fixtures', 'model', 'segresnet105_tiny_seed1.pt');

const WORKER = path.join(projectRoot(), 'dist', 'src', 'infer', 'segmentationWorker.js');

/** The runner's worker runs compiled code; `npm test` builds dist/ first. Tests skip visibly without it. */
export function runnerAvailable(): string | null {
  if (!fs.existsSync(TINY_MODEL)) return `tiny model missing at ${TINY_MODEL}`;
  if (!fs.existsSync(WORKER)) return `compiled worker missing at ${WORKER}; run npm run build`;
  return null;
}

export function describeWithRunner(name: string, fn: () => void): void {
  const missing = runnerAvailable();
  if (missing) describe.skip(`${name} [SKIPPED: ${missing}]`, fn);
  else describe(name, fn);
}

export function newRunner(): SegmentationRunner {
  return new SegmentationRunner({ threads: 2 });
}
