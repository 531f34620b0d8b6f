import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readImage } from '../../src/io';
import { FIXTURES_DIR, describeWithOracle, maxAbsDiffRows, oracleFile } from '../helpers/oracle';
import { runWbct } from './cliHarness';

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
  });
});
