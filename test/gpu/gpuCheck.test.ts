import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { webGpuTrainingPackagesMissing } from '../../src/train-bridge/plannedBackend';
import { describeWithOracle, oracleFile } from '../helpers/oracle';

/**
 * The GPU device check (bench/gpuCheck) and its pack (scripts/gpuBundle.js) are run for real on a lent GPU machine
 * only now and then; these tests keep them working in between: the same checks on the CPU (onnxruntime cpu,
 * TensorFlow.js wasm) pass against the MONAI oracle, fail when the oracle is perturbed, and the pack fits what a device
 * run takes and runs from a copy of the working tree with nothing else installed.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const CHECK = path.join(ROOT, 'dist', 'bench', 'gpuCheck.js');

function gpuCheck(args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [CHECK, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, WBCT_GPU_CHECK_WEIGHTS: '' } });
  return { status: r.status, out: r.stdout + r.stderr };
}

const QUICK_TIMING = ['--window', '8', '--batch', '1', '--steps', '1'];
/** Debian chromium's SwiftShader Vulkan driver, which the pack's self-check rehearses the WebGPU paths on. */
const SOFTWARE_VULKAN_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

describe('gpuCheck arguments', () => {
  test.each([
    [['--part', 'both'], '--part both: expected one of infer, train'],
    [['--part', 'infer', '--ort-device', 'cuda'], '--ort-device cuda: expected one of webgpu, cpu'],
    [['--part', 'infer', '--window', '0'], '--window 0: expected a positive integer'],
    [['--part', 'train', '--oracle', '/nonexistent'], 'no MONAI training oracle at /nonexistent/train_step'],
    [['--part', 'infer', '--weights', '/nonexistent.pt'], '--weights /nonexistent.pt: no such file'],
  ])('%j is refused with exit status 1', (args, message) => {
    const r = gpuCheck(args);
    expect(r.status).toBe(1);
    expect(r.out).toContain(message);
  });
});

describeWithOracle('gpuCheck on the CPU paths', () => {
  test('inference on onnxruntime cpu: the tiny model matches MONAI', () => {
    const r = gpuCheck(['--part', 'infer', '--ort-device', 'cpu', '--window', '16']);
    expect(r.out).toMatch(/parity, tiny SegResNet on onnxruntime cpu vs MONAI: .*: PASS/);
    expect(r.out).toMatch(/onnxruntime cpu, bundle-size network: \d+ nodes on CPUExecutionProvider\n/);
    expect(r.status).toBe(0);
  });

  test('training on wasm: passes on the oracle, fails on one perturbed gradient', () => {
    const ok = gpuCheck(['--part', 'train', '--tf-backend', 'wasm', ...QUICK_TIMING]);
    expect(ok.out).toMatch(/83 gradients: .*: PASS/);
    expect(ok.out).toMatch(/AdamW lr 0.001, 3 steps: .*: PASS/);
    expect(ok.status).toBe(0);

    const bad = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-oracle-'));
    try {
      fs.cpSync(oracleFile('train_step'), path.join(bad, 'train_step'), { recursive: true });
      // The oracle is read-only (and so is its copy): make the copy writable, and removable by any user.
      for (const dir of [path.join(bad, 'train_step'), path.join(bad, 'train_step', 'grad')]) fs.chmodSync(dir, 0o755);
      const file = path.join(bad, 'train_step', 'grad', 'conv_final.2.conv.weight.f32');
      fs.chmodSync(file, 0o644);
      const g = new Float32Array(new Uint8Array(fs.readFileSync(file)).buffer);
      g[0] = g[0]! * 1.01 + 1e-5;
      fs.writeFileSync(file, Buffer.from(g.buffer));
      const r = gpuCheck(['--part', 'train', '--tf-backend', 'wasm', '--oracle', bad, ...QUICK_TIMING]);
      expect(r.out).toMatch(/83 gradients: .*: FAIL/);
      expect(r.out).toContain('== train: parity FAIL');
      expect(r.status).toBe(1);
    } finally {
      fs.rmSync(bad, { recursive: true, force: true });
    }
  });

  test('WebGPU paths: run, or say in one line why not: 2 for no adapter, 1 for packages missing', () => {
    const infer = gpuCheck(['--part', 'infer', ...QUICK_TIMING]);
    if (infer.status === 2) expect(infer.out).toMatch(/onnxruntime webgpu: no adapter \(.+\)/);
    else expect(infer.status).toBe(0);
    const train = gpuCheck(['--part', 'train', ...QUICK_TIMING]);
    if (webGpuTrainingPackagesMissing().length > 0) {
      expect(train.out).toContain('not installed (scripts/gpuBundle.js packs them)');
      expect(train.status).toBe(1);
    } else if (train.status === 2) expect(train.out).toMatch(/TensorFlow.js webgpu: .+ is not available \(.*webgpu: .+\)/);
    else expect(train.status).toBe(0);
  });
});

describeWithOracle('the GPU pack (scripts/gpuBundle.js)', () => {
  test('fits in a device run and passes its self-check from a bare copy of the working tree', () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-gpu-pack-'));
    try {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'gpuBundle.js'), '--out', out, '--no-build', '--skip-vulkan'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
      const log = r.stdout + r.stderr;
      expect(log).not.toContain('gpu-bundle: the pack and the working tree are');
      // On failure, what the pack printed last says which step failed and why (CI shows only this message).
      if (r.status !== 0) throw new Error(`scripts/gpuBundle.js ended with ${r.status ?? r.signal}; its last output:\n${log.slice(-6000)}`);
      const size = /pack ([\d.]+) MiB \+ working tree ([\d.]+) MiB = ([\d.]+) MiB/.exec(log);
      expect(Number(size?.[3])).toBeLessThanOrEqual(64);
      // Both parts ran from the unpacked copy with its own Node and packages, against the carried oracle subset.
      expect(log).toMatch(/parity, tiny SegResNet on onnxruntime cpu vs MONAI: .*: PASS/);
      expect(log).toMatch(/83 gradients: .*: PASS/);
      // The WebGPU paths loaded from the pack: here they stop at the adapter, not at a missing package.
      expect(log).not.toContain('not installed');
      if (fs.existsSync(SOFTWARE_VULKAN_ICD)) {
        // And they ran on SwiftShader, against MONAI, as they will on the GPU machine.
        expect(log).toContain('rehearsal on a software GPU');
        expect(log).toMatch(/parity, tiny SegResNet on onnxruntime webgpu vs MONAI: .*: PASS/);
        expect(log).toContain('TensorFlow.js backend webgpu (@tensorflow/tfjs-backend-webgpu, conv3d builtin)');
        expect(log.match(/== (infer|train): parity PASS/g)).toHaveLength(4);
        // Each process ended by itself once its device was given back (tfBackend's releaseTfBackend).
        expect(log).not.toContain('(a device was not released)');
      } else expect(log.match(/== (infer|train): parity PASS/g)).toHaveLength(2);
      expect(log).toContain('gpu-bundle: ready');
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }, 1_800_000);
});
