import * as tf from '@tensorflow/tfjs';
import { Conv3dMode } from './conv3d';
import type { TfPackage } from './plannedBackend';

/** Which TensorFlow.js backend is in use: `tensorflow` is libtensorflow through tfjs-node(-gpu). */
export type TfBackendName = 'tensorflow' | 'wasm' | 'cpu';

export interface TfBackendInfo {
  readonly backend: TfBackendName;
  /** The npm package that provides it. */
  readonly package: TfPackage;
  /** libtensorflow (tfjs-node or tfjs-node-gpu): fast enough to train the whole network. */
  readonly native: boolean;
  readonly gpu: boolean;
  readonly convMode: Conv3dMode;
}

export type BackendPreference = 'auto' | TfBackendName;

function tryRequire(id: string): boolean {
  try {
    require(id);
    return true;
  } catch {
    return false;
  }
}

async function use(name: TfBackendName): Promise<boolean> {
  if (!tf.findBackendFactory(name)) return false;
  try {
    return await tf.setBackend(name);
  } catch {
    return false;
  }
}

const INFO: Record<TfBackendName, Omit<TfBackendInfo, 'gpu' | 'package'>> = {
  tensorflow: { backend: 'tensorflow', native: true, convMode: 'builtin' },
  // tfjs 4.22 wasm: Conv3D backprop kernels are wrong and Conv3D itself is slow; its XNNPACK Conv2D is ~20 GFLOP/s.
  wasm: { backend: 'wasm', native: false, convMode: 'conv2d' },
  cpu: { backend: 'cpu', native: false, convMode: 'builtin' },
};

let selected: TfBackendInfo | undefined;

/**
 * Picks the TensorFlow.js backend once per process: tfjs-node-gpu if it can be required, else tfjs-node, else the
 * wasm backend (pure JS + WebAssembly), else tfjs's plain JS cpu backend. `prefer` (or env WBCT_TF_BACKEND) forces one.
 */
export async function initTfBackend(prefer: BackendPreference = (process.env.WBCT_TF_BACKEND as BackendPreference) || 'auto'): Promise<TfBackendInfo> {
  if (selected && (prefer === 'auto' || prefer === selected.backend)) return selected;
  const order: TfBackendName[] = prefer === 'auto' ? ['tensorflow', 'wasm', 'cpu'] : [prefer];
  for (const name of order) {
    let pkg: TfBackendInfo['package'] = '@tensorflow/tfjs';
    let gpu = false;
    if (name === 'tensorflow') {
      gpu = tryRequire('@tensorflow/tfjs-node-gpu');
      if (!gpu && !tryRequire('@tensorflow/tfjs-node')) continue;
      pkg = gpu ? '@tensorflow/tfjs-node-gpu' : '@tensorflow/tfjs-node';
    } else if (name === 'wasm') {
      if (!tryRequire('@tensorflow/tfjs-backend-wasm')) continue;
      pkg = '@tensorflow/tfjs-backend-wasm';
    }
    if (!(await use(name))) continue;
    await tf.ready();
    selected = { ...INFO[name], gpu, package: pkg };
    return selected;
  }
  throw new Error(`TensorFlow.js backend "${prefer}" is not available (install its package, e.g. @tensorflow/tfjs-node)`);
}
