import { spawnSync } from 'node:child_process';
import { workerScript } from '../util/workerScript';

export type WebGpuStatus = { readonly available: true } | { readonly available: false; readonly reason: string };

let cached: WebGpuStatus | undefined;

/**
 * Whether onnxruntime's WebGPU execution provider finds a GPU adapter here (Dawn over Vulkan), probed once per process
 * in a child process (about a second). CPU machines answer no, with the reason ("No supported adapters": no Vulkan
 * loader, or only Mesa's lavapipe, which lacks what Dawn needs).
 */
export function probeWebGpu(): WebGpuStatus {
  if (cached) return cached;
  if (process.env.WBCT_WEBGPU === 'off') return (cached = { available: false, reason: 'switched off (WBCT_WEBGPU=off)' });
  const run = spawnSync(process.execPath, [workerScript(__dirname, 'webGpuProbeMain')], { encoding: 'utf8', timeout: 60_000 });
  try {
    const answer = JSON.parse(run.stdout) as { available?: unknown; reason?: unknown };
    cached = answer.available === true ? { available: true } : { available: false, reason: typeof answer.reason === 'string' ? answer.reason : 'no reason given' };
  } catch {
    cached = { available: false, reason: `the probe process failed (${run.error?.message ?? `exit ${run.status}, signal ${run.signal}`})` };
  }
  return cached;
}
