import * as fs from 'node:fs';
import JSZip from 'jszip';
import { parseTorchStateDict, readTorchStateDict, TorchFileError } from '../../src/weights/readTorchStateDict';
import { deriveSegResNetSpec, WeightsMismatchError } from '../../src/model/segresnetSpec';
import { describeWithOracle, oracleFile } from '../helpers/oracle';

/** Builds a torch-style zip around a hand-written pickle, to feed the reader hostile or malformed files. */
async function zipWith(pkl: Uint8Array, data: Record<string, Uint8Array> = {}): Promise<Uint8Array> {
  const zip = new JSZip();
  zip.file('m/data.pkl', pkl);
  zip.file('m/version', '3\n');
  for (const [k, v] of Object.entries(data)) zip.file(`m/data/${k}`, v);
  return zip.generateAsync({ type: 'uint8array', compression: 'STORE' });
}

const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

describeWithOracle('PyTorch state_dict reader on real torch.save files', () => {
  test('reads every tensor of the tiny model with the shapes listed by PyTorch', async () => {
    const sd = await readTorchStateDict(oracleFile('segresnet105_tiny_seed1.pt'));
    const listed = fs
      .readFileSync(oracleFile('state_dict_keys_tiny.txt'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => {
        const [key, shape, dtype, n, ...rest] = l.split('\t');
        if (key === undefined || shape === undefined || dtype === undefined || n === undefined || rest.length > 0) throw new Error(`not "key<TAB>shape<TAB>dtype<TAB>count": ${l}`);
        return { key, shape, dtype, n };
      });
    expect([...sd.keys()]).toEqual(listed.map((r) => r.key));
    for (const { key, shape, dtype, n } of listed) {
      expect(dtype).toBe('float32');
      expect(JSON.stringify(sd.get(key)!.shape)).toBe(shape.replace(/ /g, ''));
      expect(sd.get(key)!.data.length).toBe(Number(n));
    }
    // data/0 starts with these float32 values (read independently with Python's struct).
    expect(Array.from(sd.get('convInit.conv.weight')!.data.slice(0, 3))).toEqual([
      Math.fround(0.09916245192289352), Math.fround(-0.08494327962398529), Math.fround(-0.03730865940451622),
    ]);
  });

  test('derives the architecture of the bundle-size and tiny models from shapes', async () => {
    const big = deriveSegResNetSpec(await readTorchStateDict(oracleFile('segresnet105_seed0.pt')));
    expect(big).toEqual({ inChannels: 1, outChannels: 105, initFilters: 32, blocksDown: [1, 2, 2, 4], blocksUp: [1, 1, 1] });
    const tiny = deriveSegResNetSpec(await readTorchStateDict(oracleFile('segresnet105_tiny_seed1.pt')));
    expect(tiny.initFilters).toBe(8);
  });

  test('a truncated checkpoint is rejected with a clear error', async () => {
    const bytes = fs.readFileSync(oracleFile('segresnet105_tiny_seed1.pt'));
    await expect(parseTorchStateDict(bytes.subarray(0, bytes.length >> 1), 'half.pt')).rejects.toThrow(/half\.pt: not a PyTorch zip checkpoint/);
  });

  test('a state_dict missing a parameter is rejected like load_state_dict(strict=True)', async () => {
    const sd = new Map(await readTorchStateDict(oracleFile('segresnet105_tiny_seed1.pt')));
    sd.delete('up_layers.1.0.conv2.conv.weight');
    expect(() => deriveSegResNetSpec(sd, 'x.pt')).toThrow(new WeightsMismatchError('x.pt: missing parameter "up_layers.1.0.conv2.conv.weight"'));
  });
});

describe('PyTorch state_dict reader on hostile input', () => {
  test('refuses a pickle that references os.system, without running it', async () => {
    const marker = `/tmp/wbct-pwned-${process.pid}`;
    const pkl = concat(new Uint8Array([0x80, 2]), ascii(`cos\nsystem\n`), ascii(`X`), new Uint8Array([marker.length + 6, 0, 0, 0]), ascii(`touch ${marker}`), ascii('\x85R.'));
    await expect(parseTorchStateDict(await zipWith(pkl), 'evil.pt')).rejects.toThrow(/forbidden global "os system"/);
    expect(fs.existsSync(marker)).toBe(false);
  });

  test('refuses a pickle using builtins eval via STACK_GLOBAL', async () => {
    const s = (v: string) => concat(new Uint8Array([0x8c, v.length]), ascii(v));
    const pkl = concat(new Uint8Array([0x80, 4]), s('builtins'), s('eval'), new Uint8Array([0x93]), s('1+1'), ascii('\x85R.'));
    await expect(parseTorchStateDict(await zipWith(pkl), 'evil2.pt')).rejects.toThrow(/forbidden global "builtins eval"/);
  });

  test('refuses non-float32 tensors and unknown opcodes', async () => {
    const half = ascii(
      '\x80\x02ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00actorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nHalfStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x02tQK\x00K\x02\x85K\x01\x85\x89)tRu.',
    );
    await expect(parseTorchStateDict(await zipWith(half, { '0': new Uint8Array(4) }), 'half.pt')).rejects.toThrow(/unsupported tensor dtype "torch HalfStorage"/);
    await expect(parseTorchStateDict(await zipWith(ascii('\x80\x02i')), 'op.pt')).rejects.toThrow(/unsupported pickle opcode 0x69/);
  });

  test('refuses a tensor whose storage entry is missing or short', async () => {
    const pkl = ascii(
      '\x80\x02ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00actorch._utils\n_rebuild_tensor_v2\n((X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQK\x00K\x04\x85K\x01\x85\x89)tRu.',
    );
    await expect(parseTorchStateDict(await zipWith(pkl), 'm.pt')).rejects.toThrow(/missing zip entry data\/0/);
    await expect(parseTorchStateDict(await zipWith(pkl, { '0': new Uint8Array(8) }), 'm.pt')).rejects.toThrow(/has 8 bytes, expected 16/);
    const ok = await parseTorchStateDict(await zipWith(pkl, { '0': new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer) }), 'm.pt');
    expect(Array.from(ok.get('a')!.data)).toEqual([1, 2, 3, 4]);
  });

  test('rejects random bytes and an empty file', async () => {
    await expect(parseTorchStateDict(new Uint8Array(1000).fill(7), 'junk.pt')).rejects.toThrow(TorchFileError);
    await expect(parseTorchStateDict(new Uint8Array(0), 'empty.pt')).rejects.toThrow(TorchFileError);
  });
});
