import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../../src/util/projectRoot';

/**
 * The tiny SegResNet and MONAI's answer for it as the repo carries them (test/fixtures/model: the weights, the 24^3
 * input, sampled logits and the full argmax), so that a check needs no ../shared for the forward pass.
 */
const FIXTURES = path.join(projectRoot(), 'test', 'fixtures', 'model');

export const TINY_WEIGHTS = path.join(FIXTURES, 'segresnet105_tiny_seed1.pt');
export const TINY_SIZE = 24;

export function readF32(file: string): Float32Array {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export const tinyInput = (): Float32Array => readF32(path.join(FIXTURES, 'tiny_input_24.f32'));

interface Samples {
  readonly flat_index: number[];
  readonly logits: number[][];
}

/**
 * Our tiny-model logits vs MONAI's at the sampled voxels (every channel), and our argmax vs MONAI's everywhere.
 * `logit(voxel, channel)` reads ours in whatever layout the engine gives; `argmax` is ours, one label per voxel.
 */
export function tinyLogitParity(logit: (voxel: number, channel: number) => number, argmax: ArrayLike<number>): { worst: number; argmaxEqual: boolean; pass: boolean } {
  const samples = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'tiny_logits_samples.json'), 'utf8')) as Samples;
  let worst = 0;
  samples.flat_index.forEach((voxel, k) =>
    samples.logits[k]!.forEach((theirs, c) => {
      const d = Math.abs(logit(voxel, c) - theirs);
      worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
    }),
  );
  const expected = new Uint8Array(fs.readFileSync(path.join(FIXTURES, 'tiny_argmax_u8.raw')));
  const argmaxEqual = argmax.length === expected.length && expected.every((v, i) => v === argmax[i]);
  // The engines hold 1e-4 on these logits (the parity suites' limit).
  return { worst, argmaxEqual, pass: worst < 1e-4 && argmaxEqual };
}
