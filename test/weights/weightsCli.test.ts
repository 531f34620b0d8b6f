import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CaseOutcome, recordCase } from '../reliability/harness/ledger';
import { runWbct } from '../cli/cliHarness';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import { Pickle, f32, legacyFile, legacyFromStateDict, rawZip, stateDictPickle, torchZip } from './torchBytes';

/**
 * `wbct convert` on hostile weights, end to end in a real process (dist/, built by `npm test`): exit 1 with the
 * reader's message and no ONNX file left behind; a legacy-format copy of the tiny model converts to the same ONNX
 * bytes as the zip original. Area "weights-cli" of the robustness ledger.
 */

const TINY = path.join(__dirname, '..', 'fixtures', 'model', 'segresnet105_tiny_seed1.pt');
const HANG_MS = 10_000;
const MARKER = path.join(os.tmpdir(), `wbct-hostile-cli-${process.pid}`);
let root: string;

const evilSysInfo = () => legacyFile({ sysInfo: new Pickle().global('os', 'system').str(`touch ${MARKER}`).tuple1().reduce().stop(), main: new Pickle().emptyDict().stop() });
const evilZip = () => torchZip(new Pickle().orderedDict().mark().str('w').global('os', 'system').str(`touch ${MARKER}`).tuple1().reduce().setItems().stop());
const deepStackGlobal = () => legacyFile({ main: new Pickle(4).raw(Buffer.alloc(100_000, 0x5d)).raw(Buffer.alloc(99_999, 0x61)).shortStr('system').op(0x93).stop() });
const expanded = () => legacyFile({ main: stateDictPickle('legacy', { w: { key: '0', numel: 1, shape: [1000, 1000, 1000], stride: [0, 0, 0] } }), storages: [{ key: '0', data: f32(1) }] });
const sdPkl = stateDictPickle('zip', { w: { key: '0', numel: 4, shape: [4] } });

const hostile: ReadonlyArray<readonly [string, () => Uint8Array | Promise<Uint8Array>, RegExp]> = [
  ['zip: os.system in data.pkl', evilZip, /forbidden global "os system"/],
  ['legacy: os.system in the sys_info pickle', evilSysInfo, /sys_info: .*forbidden global "os system"/],
  ['legacy (torch): float64 weights', () => fs.readFileSync(path.join(__dirname, 'fixtures', 'legacy_float64.pt')), /unsupported tensor dtype "torch DoubleStorage"/],
  ['zip: deflate bomb (claims 16 bytes, inflates to 64 MiB)', () => rawZip([{ name: 'm/data.pkl', data: sdPkl }, { name: 'm/data/0', data: new Uint8Array(64 << 20), method: 8, claimedSize: 16 }]), /is compressed \(method 8\)/],
  ['zip: ../ in an entry name', () => rawZip([{ name: 'm/../data.pkl', data: sdPkl }]), /is not a plain relative path/],
  ['legacy: STACK_GLOBAL of a list nested 100,000 deep', deepStackGlobal, /STACK_GLOBAL on a non-string module or name/],
  ['legacy: expanded view of 10^9 elements from one value', expanded, /has 1000000000 elements, more than its storage's 1/],
  ['legacy: tiny model copy cut in the middle of a storage', async () => {
    const copy = legacyFromStateDict(await readTorchStateDict(TINY));
    return copy.subarray(0, copy.length >> 1);
  }, /truncated: storage \d+ needs \d+ bytes/],
  ['legacy: tiny model copy without its last storage', async () => {
    const sd = await readTorchStateDict(TINY);
    const last = [...sd.values()].pop()!;
    return legacyFromStateDict(sd).subarray(0, -(8 + last.data.byteLength));
  }, /truncated: storage 82 has no element count/],
];

interface Outcome {
  outcome: CaseOutcome;
  detail: string;
}

async function convert(name: string, bytes: Uint8Array): Promise<{ code: number | null; stderr: string; ms: number; file: string; outDir: string }> {
  const dir = fs.mkdtempSync(path.join(root, 'case-'));
  const file = path.join(dir, `${name.replace(/[^A-Za-z0-9.]+/g, '_')}.pt`);
  fs.writeFileSync(file, bytes);
  const outDir = path.join(dir, 'out');
  fs.mkdirSync(outDir);
  const t0 = Date.now();
  const r = await runWbct(['convert', file, '-o', path.join(outDir, 'out.onnx')]);
  return { code: r.code, stderr: r.stderr, ms: Date.now() - t0, file, outDir };
}

describe('wbct convert on hostile and legacy weights (real process)', () => {
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-weights-cli-'));
  });
  afterAll(() => {
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(MARKER, { force: true });
  });

  test.each(hostile.map(([name, bytes, message]) => [name, bytes, message] as const))('%s: exit 1, the reason on stderr, no out.onnx', async (name, bytes, message) => {
    const r = await convert(name, await bytes());
    const left = fs.readdirSync(r.outDir);
    const said = r.stderr.trim();
    let result: Outcome;
    if (r.ms > HANG_MS) result = { outcome: 'hang', detail: `${r.ms} ms` };
    else if (r.code === 0) result = { outcome: 'escalation', detail: 'converted' };
    else if (r.code !== 1 || /Maximum call stack|heap out of memory|FATAL/.test(said)) result = { outcome: 'crash', detail: `exit ${r.code}: ${said.slice(0, 300)}` };
    else if (left.length > 0) result = { outcome: 'unclear', detail: `left ${left.join(', ')} in the output folder` };
    else if (!said.startsWith(`wbct convert: ${r.file}: `) || !message.test(said)) result = { outcome: 'unclear', detail: said.slice(0, 300) };
    else result = { outcome: 'refused', detail: '' };
    recordCase({ area: 'weights-cli', name, outcome: result.outcome, ...(result.detail ? { detail: result.detail } : {}) });
    expect(result).toEqual({ outcome: 'refused', detail: '' });
    expect(fs.existsSync(MARKER)).toBe(false);
  });

  test('a legacy-format copy of the tiny model converts to the same ONNX bytes as the zip original', async () => {
    const fromZip = await convert('zip original', fs.readFileSync(TINY));
    const fromLegacy = await convert('legacy copy', legacyFromStateDict(await readTorchStateDict(TINY)));
    const results: Array<[string, typeof fromZip]> = [['zip: the tiny model converts', fromZip], ['legacy: a copy of the tiny model converts', fromLegacy]];
    for (const [name, r] of results) {
      const ok = r.code === 0 && r.ms <= HANG_MS && fs.existsSync(path.join(r.outDir, 'out.onnx'));
      recordCase({ area: 'weights-cli', name, outcome: ok ? 'accepted' : r.ms > HANG_MS ? 'hang' : 'crash', ...(ok ? {} : { detail: `exit ${r.code}: ${r.stderr.slice(0, 300)}` }) });
      expect({ name, code: r.code, stderr: r.stderr }).toEqual({ name, code: 0, stderr: expect.stringMatching(/^wrote .*out\.onnx in/) });
    }
    const a = fs.readFileSync(path.join(fromZip.outDir, 'out.onnx'));
    const b = fs.readFileSync(path.join(fromLegacy.outDir, 'out.onnx'));
    expect(a.length).toBeGreaterThan(1_000_000);
    expect(b.equals(a)).toBe(true);
  });
});
