import * as tf from '@tensorflow/tfjs';
import { probeWebGpu } from '../model/webGpuProbe';
import { Conv3dMode } from './conv3d';
import { type BackendPreference, type TfBackendName, type TfPackage, preferenceFromEnv, tfCandidates } from './plannedBackend';

export type { BackendPreference, TfBackendName } from './plannedBackend';

export interface TfBackendInfo {
  readonly backend: TfBackendName;
  /** The npm package that provides it. */
  readonly package: TfPackage;
  /** libtensorflow (tfjs-node, tfjs-node-gpu) or a GPU (webgpu): fast enough to train the whole network. */
  readonly wholeNetwork: boolean;
  readonly gpu: boolean;
  readonly convMode: Conv3dMode;
}

/** Loads a backend package (it registers its backend with tfjs); why not, when it is not installed or fails to load. */
async function tryLoad(id: TfPackage): Promise<string | undefined> {
  try {
    if (id === '@tensorflow/tfjs-backend-webgpu') await giveNodeWebGpu();
    await import(id);
    return undefined;
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).split('\n')[0];
  }
}

/**
 * tfjs-backend-webgpu needs `navigator.gpu`; Dawn's node binding (npm `webgpu`, an ES module) provides it. Without a
 * GPU adapter the backend then fails to initialise and the next candidate is taken.
 */
async function giveNodeWebGpu(): Promise<void> {
  // A real dynamic import: TypeScript's CommonJS output turns `import()` into `require`, which an ES module refuses.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const importModule = new Function('id', 'return import(id)') as (id: string) => Promise<{ create(flags: string[]): unknown; globals: object }>;
  const dawn = await importModule('webgpu');
  Object.assign(globalThis, dawn.globals);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu: dawn.create([]) }, configurable: true, writable: true });
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
  tensorflow: { backend: 'tensorflow', wholeNetwork: true, convMode: 'builtin' },
  // tfjs-backend-webgpu 4.22 has Conv3D and both of its backprop kernels.
  webgpu: { backend: 'webgpu', wholeNetwork: true, convMode: 'builtin' },
  // tfjs 4.22 wasm: Conv3D backprop kernels are wrong and Conv3D itself is slow; its XNNPACK Conv2D is ~20 GFLOP/s.
  wasm: { backend: 'wasm', wholeNetwork: false, convMode: 'conv2d' },
  cpu: { backend: 'cpu', wholeNetwork: false, convMode: 'builtin' },
};

let selected: TfBackendInfo | undefined;

/**
 * Picks the TensorFlow.js backend once per process: tfjs-node-gpu if it can be required, else tfjs-node, else the
 * wasm backend (pure JS + WebAssembly), else tfjs's plain JS cpu backend. `prefer` (or env WBCT_TF_BACKEND) forces one.
 */
export async function initTfBackend(prefer: BackendPreference = preferenceFromEnv()): Promise<TfBackendInfo> {
  if (selected && (prefer === 'auto' || prefer === selected.backend)) return selected;
  const failures: string[] = [];
  for (const c of tfCandidates(prefer)) {
    const loadFailure = c.package === '@tensorflow/tfjs' ? undefined : await tryLoad(c.package);
    if (loadFailure) {
      failures.push(`${c.package}: ${loadFailure}`);
      continue;
    }
    if (!(await use(c.backend))) {
      const gpu = c.backend === 'webgpu' ? probeWebGpu() : undefined;
      failures.push(`${c.backend}: ${gpu && !gpu.available ? gpu.reason : 'failed to initialise'}`);
      continue;
    }
    await tf.ready();
    selected = { ...INFO[c.backend], gpu: c.gpu, package: c.package };
    return selected;
  }
  throw new Error(`TensorFlow.js backend "${prefer}" is not available (${failures.join('; ') || 'unknown backend'})`);
}

/** What releaseTfBackend uses of tfjs-backend-webgpu's backend object (it is not in tfjs-core's types). */
interface WebGpuBackendHandle {
  readonly device: { readonly queue: { onSubmittedWorkDone(): Promise<void> }; readonly lost: Promise<unknown>; destroy(): void };
}

/** How long releaseTfBackend waits for the queue to drain and for Dawn to report the device lost. */
const DEVICE_RELEASE_WAIT_MS = 10_000;

function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}

/**
 * Gives back what the backend holds outside the JS heap, once the thread is done with TensorFlow.js. On webgpu that is
 * a Dawn device: the queue is drained, tfjs's buffers freed, the device destroyed and the reference to Dawn dropped.
 * A process.exit with the device still live runs the driver's exit-time teardown while its threads still run: the
 * process then dies by SIGSEGV after all was done (seen on SwiftShader, npm `webgpu` 0.6.2).
 * Other backends hold nothing that outlives the thread; there it does nothing. After it, webgpu cannot be chosen again
 * in this thread (its registration is gone with it): call it last.
 */
export async function releaseTfBackend(): Promise<void> {
  if (selected?.backend !== 'webgpu') return;
  selected = undefined;
  const backend = tf.findBackend('webgpu') as unknown as WebGpuBackendHandle | null;
  if (!backend) return;
  const { device } = backend;
  tf.disposeVariables();
  await settledWithin(device.queue.onSubmittedWorkDone(), DEVICE_RELEASE_WAIT_MS);
  tf.removeBackend('webgpu'); // WebGPUBackend.dispose: destroys its buffers and textures
  device.destroy();
  await settledWithin(device.lost, DEVICE_RELEASE_WAIT_MS);
  Reflect.deleteProperty(globalThis, 'navigator');
}

/**
 * Whether the active backend can read a tensor synchronously (dataSync). tfjs-backend-webgpu 4.22 reads through an
 * OffscreenCanvas, which Node does not have: there every read must be `await data()`.
 */
export function activeBackendReadsSynchronously(): boolean {
  return tf.getBackend() !== 'webgpu';
}
