import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readImage } from '../../src/io';
import { FIXTURES_DIR, describeWithOracle, maxAbsDiffRows, oracleFile } from '../helpers/oracle';
import { runWbct } from './cliHarness';
import { describeWithOneDnn } from '../helpers/engines';

const tinyWeights = path.join(FIXTURES_DIR, 'model', 'segresnet105_tiny_seed1.pt');

describeWithOracle('wbct segment on the real head CT', () => {
  let dir: string;
  let cache: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-cli-'));
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-cache-'));
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  });

  test.each([
    ['out.nii.gz', ['--lowres']],
    ['out.nrrd', ['--lowres', '--dtype', 'float32']],
  ])('writes %s as a label map on the input grid and geometry', async (name, extra) => {
    const out = path.join(dir, name);
    const r = await runWbct(['segment', oracleFile('cranium_ct.nii.gz'), '-o', out, '--weights', tinyWeights, '--threads', '2', ...extra], { WBCT_CACHE_DIR: cache });
    expect(r.stderr).toMatch(/latencies: pre [\d.]+s, infer [\d.]+s, invert [\d.]+s, post [\d.]+s, write [\d.]+s, total [\d.]+s/);
    expect(r.stderr).toMatch(/peak RSS [\d.]+ GiB/);
    expect(r.code).toBe(0);
    const input = await readImage(oracleFile('cranium_ct.nii.gz'));
    const label = await readImage(out, { voxels: 'stored' });
    expect(label.volume.shape).toEqual([256, 256, 108]);
    expect(maxAbsDiffRows(label.volume.affineRas, input.volume.affineRas)).toBeLessThan(5e-6);
    expect(label.info.storedDType).toBe(extra.includes('float32') ? 'float32' : 'uint8');
    const values = new Set(label.volume.data);
    expect(Math.max(...values)).toBeLessThanOrEqual(104);
    expect(values.size).toBeGreaterThan(1);
  });

  test('without the addon it runs on onnxruntime and says so', async () => {
    const r = await runWbct(['segment', oracleFile('cranium_ct.nii.gz'), '-o', path.join(dir, 'ort.nii.gz'), '--weights', tinyWeights, '--lowres'], { WBCT_CACHE_DIR: cache, WBCT_ONEDNN: 'off' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/network on onnxruntime 1\.\d+\.\d+ cpu, fp32: [\d.]+s/);
  });

  describeWithOneDnn('on oneDNN', () => {
    test('--precision bf16 --compare-exact runs both and prints their agreement and speed ratio', async () => {
      const out = path.join(dir, 'bf16.nii.gz');
      const r = await runWbct(['segment', oracleFile('cranium_ct.nii.gz'), '-o', out, '--weights', tinyWeights, '--lowres', '--precision', 'bf16', '--compare-exact'], { WBCT_CACHE_DIR: cache });
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/network on onednn [\d.]+ \S+, bf16: /);
      expect(r.stderr).toMatch(/network on onednn [\d.]+ \S+, fp32: /);
      expect(r.stderr).toMatch(/agreement of bf16 with exact fp32: \d+\.\d{3}% of voxels equal; mean Dice [01]\.\d{4} over \d+ structures; lowest: /);
      expect(r.stderr).toMatch(/network [\d.]+ s \(onednn .*bf16\) vs [\d.]+ s \(onednn .*fp32\): [\d.]+x/);
      expect(fs.existsSync(out)).toBe(true);
      expect(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('wbct-exact-'))).toEqual([]);
    });
  });
});

describe('wbct segment on bad input', () => {
  let dir: string;
  beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-cli-bad-'))));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const bad: Array<[string, (file: string) => void, RegExp]> = [
    ['a truncated NIfTI', (f) => fs.writeFileSync(f, fs.readFileSync(path.join(FIXTURES_DIR, 'model', 'tiny_input_24.f32')).subarray(0, 200)), /\.nii/],
    ['an empty file', (f) => fs.writeFileSync(f, ''), /\.nii/],
    ['a missing file', () => undefined, /no such file|ENOENT|not found/i],
  ];
  test.each(bad)('%s: clear error, exit 1, nothing at the output path', async (_name, make, message) => {
    const input = path.join(dir, `in-${_name.replace(/\W/g, '')}.nii`);
    make(input);
    const out = path.join(dir, 'never.nii.gz');
    const r = await runWbct(['segment', input, '-o', out, '--weights', tinyWeights]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(fs.readdirSync(dir).filter((f) => f.includes('never'))).toEqual([]);
  });

  test('usage errors exit 2 with the usage line', async () => {
    const r = await runWbct(['segment', 'x.nii.gz']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/usage: wbct segment/);
    const d = await runWbct(['segment', 'x.nii.gz', '-o', 'y.nii.gz', '--dtype', 'int7']);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/--dtype must be uint8 or float32, got "int7"/);
    const e = await runWbct(['segment', 'x.nii.gz', '-o', 'y.nii.gz', '--engine', 'gpu']);
    expect([e.code, e.stderr]).toEqual([2, expect.stringMatching(/--engine must be one of auto, onednn, onnxruntime, webgpu, got "gpu"/)]);
    const p = await runWbct(['segment', 'x.nii.gz', '-o', 'y.nii.gz', '--precision', 'int4']);
    expect([p.code, p.stderr]).toEqual([2, expect.stringMatching(/--precision must be one of fp32, bf16, got "int4"/)]);
    const c = await runWbct(['segment', 'x.nii.gz', '-o', 'y.nii.gz', '--compare-exact']);
    expect([c.code, c.stderr]).toEqual([2, expect.stringMatching(/--compare-exact compares a reduced --precision/)]);
  });

  test('bf16 on onnxruntime is refused with the reason, exit 1, nothing written', async () => {
    const out = path.join(dir, 'never-bf16.nii.gz');
    const r = await runWbct(['segment', oracleFile('cranium_ct.nii.gz'), '-o', out, '--weights', tinyWeights, '--engine', 'onnxruntime', '--precision', 'bf16']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/precision bf16 needs the oneDNN engine/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
