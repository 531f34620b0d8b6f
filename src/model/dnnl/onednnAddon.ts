import * as fs from 'node:fs';
import * as path from 'node:path';
import { projectRoot } from '../../util/projectRoot';
import type { PlanOp } from './segresnetPlan';
import type { Precision } from '../segmentationNetwork';

/** An opaque handle to a network held by the addon. */
export type NativeNetwork = { readonly __nativeNetwork: unique symbol };

/** The addon's functions (native/dnnl/segresnet_dnnl.cc). */
export interface OneDnnAddon {
  createNetwork(plan: { precision: Precision; layout: 'nxc' | 'blocked'; buffers: number; input: number; output: number; ops: readonly PlanOp[] }): NativeNetwork;
  run(network: NativeNetwork, input: Float32Array, dims: readonly number[], threads: number): Promise<Float32Array>;
  implementations(network: NativeNetwork): string[];
  release(network: NativeNetwork): void;
  blendSlabs(sums: Float32Array[], weights: Float32Array[], output: Float32Array, weightMap: Float32Array, channels: number, roi: readonly number[], g: number, f: number, q: number, q0: number, Q: number, threads: number): void;
  version(): { onednn: string; isa: string };
}

export type OneDnnAvailability =
  | { readonly available: true; readonly addon: OneDnnAddon; readonly onednn: string; readonly isa: string }
  | { readonly available: false; readonly reason: string };

let cached: OneDnnAvailability | undefined;

/** Where `npm ci` builds the addon (scripts/buildNative.js); WBCT_ONEDNN_ADDON points elsewhere. */
export function addonPath(): string {
  return process.env.WBCT_ONEDNN_ADDON ?? path.join(projectRoot(), 'native', 'dnnl', 'build', 'Release', 'wbct_dnnl.node');
}

/**
 * Loads the oneDNN addon once per thread. It is optional: without a compiler or libdnnl-dev at install time there is
 * no addon, and the reason says so (the caller falls back to onnxruntime). WBCT_ONEDNN=off disables it.
 */
export function oneDnn(): OneDnnAvailability {
  if (cached) return cached;
  cached = load();
  return cached;
}

function load(): OneDnnAvailability {
  if (process.env.WBCT_ONEDNN === 'off') return { available: false, reason: 'disabled by WBCT_ONEDNN=off' };
  const file = addonPath();
  if (!fs.existsSync(file)) return { available: false, reason: `the oneDNN addon is not built (${path.relative(process.cwd(), file) || file} missing; \`npm run build:native\` needs g++, make and Debian's libdnnl-dev)` };
  try {
    // A native module: loaded by path at run time, so the package works without it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const addon = require(file) as OneDnnAddon;
    const { onednn, isa } = addon.version();
    return { available: true, addon, onednn, isa };
  } catch (e) {
    return { available: false, reason: `the oneDNN addon does not load: ${(e as Error).message.split('\n')[0]}` };
  }
}

/**
 * The sliding window's blend of one window into its rows, in the addon (native/dnnl/blend.cc), when it loads: the
 * same float arithmetic as the JavaScript loop, bit for bit (tested). Measured on the lowres grid (12 windows of 32
 * channels, 2-vCPU Xeon): JavaScript 5.3 s, the addon 0.85 s (both in one run).
 */
export function nativeBlendKernel(
  threads: number,
): ((sums: Float32Array[], weights: Float32Array[], output: Float32Array, weightMap: Float32Array, channels: number, roi: readonly number[], g: number, f: number, q: number, q0: number, Q: number) => void) | undefined {
  const dnnl = oneDnn();
  if (!dnnl.available) return undefined;
  return (sums, weights, output, weightMap, channels, roi, g, f, q, q0, Q) => dnnl.addon.blendSlabs(sums, weights, output, weightMap, channels, roi, g, f, q, q0, Q, threads);
}
