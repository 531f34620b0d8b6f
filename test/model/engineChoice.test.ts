import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURES_DIR } from '../helpers/oracle';

/**
 * Engine choice with the addon switched off or broken: the modules are loaded fresh under the environment given, and
 * the addon's availability (decided once per module instance) is settled before the environment is restored.
 */
function withEnv<T>(env: Record<string, string>, load: () => T): T {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    let out: T | undefined;
    jest.isolateModules(() => {
      out = load();
    });
    return out as T;
  } finally {
    process.env = saved;
  }
}

type EngineModules = typeof import('../../src/model/openNetwork') & typeof import('../../src/model/engineInfo');
/* eslint-disable @typescript-eslint/no-require-imports */
const engines = (): EngineModules => {
  (require('../../src/model/dnnl/onednnAddon') as typeof import('../../src/model/dnnl/onednnAddon')).oneDnn();
  return { ...(require('../../src/model/openNetwork') as object), ...(require('../../src/model/engineInfo') as object) } as EngineModules;
};
/* eslint-enable @typescript-eslint/no-require-imports */
const TINY = path.join(FIXTURES_DIR, 'model', 'segresnet105_tiny_seed1.pt');

describe('engine choice without the oneDNN addon', () => {
  test('auto falls back to onnxruntime and says why; onednn and bf16 are refused with the reason', async () => {
    const m = withEnv({ WBCT_ONEDNN: 'off' }, engines);
    expect(m.resolveEngine('auto')).toEqual({ engine: 'onnxruntime', note: 'disabled by WBCT_ONEDNN=off' });
    expect(() => m.resolveEngine('onednn')).toThrow('engine onednn: disabled by WBCT_ONEDNN=off');
    expect(m.engineInfo('auto')).toMatchObject({ engine: 'onnxruntime', precisions: ['fp32'], note: 'disabled by WBCT_ONEDNN=off' });
    await expect(m.openSegmentationNetwork(TINY, { precision: 'bf16' })).rejects.toThrow(/precision bf16 needs the oneDNN engine \(disabled by WBCT_ONEDNN=off\)/);
    const net = await m.openSegmentationNetwork(TINY, { threads: 1 });
    try {
      expect(net.engine).toBe('onnxruntime');
      expect(net.description).toMatch(/^onnxruntime 1\.\d+\.\d+ cpu, fp32$/);
    } finally {
      await net.close();
    }
  });

  test('an addon file that is not a shared object is reported, not loaded', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-addon-'));
    try {
      const file = path.join(dir, 'wbct_dnnl.node');
      fs.writeFileSync(file, 'not an ELF file');
      const m = withEnv({ WBCT_ONEDNN_ADDON: file }, engines);
      expect(m.resolveEngine('auto').note).toMatch(/^the oneDNN addon does not load: /);
      expect(withEnv({ WBCT_ONEDNN_ADDON: path.join(dir, 'missing.node') }, engines).resolveEngine('auto').note).toMatch(/the oneDNN addon is not built/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('onnxruntime is taken for .onnx weights, which oneDNN cannot build from', () => {
    const m = withEnv({}, engines);
    expect(m.resolveEngine('onnxruntime')).toEqual({ engine: 'onnxruntime' });
    const onnx = m.resolveEngine('auto', 'model.onnx');
    expect(onnx.engine).toBe('onnxruntime');
    expect(onnx.note).toBeDefined();
  });
});
