import * as fs from 'node:fs';
import { TrainSample } from '../../src/train-bridge/segResNetTrainer';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import { StateDict } from '../../src/weights/tensor';
import { defined } from '../helpers/defined';
import { oracleFile, readF32, readU8 } from '../helpers/oracle';

/** The tiny seed-1 model and the input/label pair every train_step oracle file was computed from. */
export function tinyWeights(): Promise<StateDict> {
  return readTorchStateDict(oracleFile('segresnet105_tiny_seed1.pt'));
}

export function tinySample(): TrainSample {
  return { window: readF32(oracleFile('tiny_input_24.f32')), labels: readU8(oracleFile('train_step', 'label_24_u8.raw')), dims: [24, 24, 24] };
}

export function trainStepJson<T = unknown>(name: string): T {
  return JSON.parse(fs.readFileSync(oracleFile('train_step', name), 'utf8')) as T;
}

/** One AdamW run of `adamw_steps.json`: torch's loss before each step and after the last. */
export interface AdamwRun {
  steps: Array<{ loss_before_step: { float64_exact: number } }>;
  loss_after_last_step: { float64_exact: number };
}

export function adamwRun(name: string): AdamwRun {
  return defined(trainStepJson<{ runs: Record<string, AdamwRun> }>('adamw_steps.json').runs[name], `run ${name} in adamw_steps.json`);
}
