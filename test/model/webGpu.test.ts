import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { EngineUnavailableError, openSegmentationNetwork } from '../../src/model/openNetwork';
import { engineInfo } from '../../src/model/engineInfo';
import { probeWebGpu } from '../../src/model/webGpuProbe';
import { FIXTURES_DIR } from '../helpers/oracle';

/** The WebGPU path as a machine without a GPU sees it: a clear reason, nothing else changes. (With an adapter, the parity suites run it.) */
const TINY = path.join(FIXTURES_DIR, 'model', 'segresnet105_tiny_seed1.pt');
const gpu = probeWebGpu();

describe('WebGPU probe', () => {
  test('answers available, or not with a one-line reason', () => {
    if (gpu.available) expect(gpu).toEqual({ available: true });
    else expect(gpu.reason).toMatch(/^[^\n]{10,300}$/);
  });

  test('WBCT_WEBGPU=off is a reason of its own', () => {
    const out = execFileSync(process.execPath, ['-e', "process.stdout.write(JSON.stringify(require('./dist/src/model/webGpuProbe').probeWebGpu()))"], { env: { ...process.env, WBCT_WEBGPU: 'off' }, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ available: false, reason: 'switched off (WBCT_WEBGPU=off)' });
  });
});

(gpu.available ? describe.skip : describe)('without a GPU adapter', () => {
  test('the engine refuses with the reason; engineInfo keeps the CPU device and says why', async () => {
    const reason = gpu.available ? '' : gpu.reason;
    await expect(openSegmentationNetwork(TINY, { engine: 'webgpu', threads: 1 })).rejects.toEqual(new EngineUnavailableError(`engine webgpu: ${reason}`));
    expect(() => engineInfo('webgpu')).toThrow(`engine webgpu: ${reason}`);
    const info = engineInfo('onnxruntime', { webgpu: true });
    expect(info.devices).toEqual(['cpu']);
    expect(info.webgpuNote).toBe(`webgpu unavailable: ${reason}`);
    expect(engineInfo('onnxruntime').webgpuNote).toBeUndefined();
  });
});
