import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseTorchStateDict, readTorchStateDict } from '../../src/weights/readTorchStateDict';
import { StateDict } from '../../src/weights/tensor';
import { defined } from '../helpers/defined';
import { f32, legacyFile, legacyFromStateDict, stateDictPickle } from './torchBytes';

const FIXTURES = path.join(__dirname, 'fixtures');
const fixture = (name: string) => path.join(FIXTURES, name);

interface Expected {
  key: string;
  shape: number[];
  values: number[];
}
const expected = JSON.parse(fs.readFileSync(fixture('legacy_expected.json'), 'utf8')) as Record<string, Expected[]>;

/** Key order, shapes and every value bit for bit (Object.is: -0 is not 0). */
function expectExactly(sd: StateDict, want: Expected[]): void {
  expect([...sd.keys()]).toEqual(want.map((w) => w.key));
  for (const w of want) {
    const t = sd.get(w.key)!;
    expect({ key: w.key, shape: t.shape }).toEqual({ key: w.key, shape: w.shape });
    expect(t.data.length).toBe(w.values.length);
    const differing = w.values.flatMap((v, i) => (Object.is(v, t.data[i]) ? [] : [`${w.key}[${i}]: ${t.data[i]} != ${v}`]));
    expect(differing).toEqual([]);
  }
}

function expectSameStateDict(a: StateDict, b: StateDict): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [k, t] of a) {
    expect(b.get(k)!.shape).toEqual(t.shape);
    expect(Buffer.from(b.get(k)!.data.buffer, b.get(k)!.data.byteOffset, b.get(k)!.data.byteLength).equals(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength))).toBe(true);
  }
}

describe('legacy (non-zip) torch.save files written by PyTorch', () => {
  test.each(['legacy_small.pt', 'legacy_small_protocol4.pt'])('%s reads to exactly the values torch wrote (views, offset, transpose, scalar, empty)', async (name) => {
    const sd = await readTorchStateDict(fixture(name));
    expectExactly(sd, defined(expected['legacy_small.pt'], 'legacy_small.pt in legacy_expected.json'));
    expect(sd.get('scalar')!.shape).toEqual([]);
  });

  test('a model state_dict reads the same from its legacy copy and its zip copy', async () => {
    const legacy = await readTorchStateDict(fixture('legacy_smallnet.pt'));
    const zip = await readTorchStateDict(fixture('zip_smallnet.pt'));
    expectExactly(legacy, defined(expected['legacy_smallnet.pt'], 'legacy_smallnet.pt in legacy_expected.json'));
    expectSameStateDict(legacy, zip);
  });

  test("the tests' own legacy writer round-trips the model (it makes the legacy copy of the tiny model for the CLI test)", async () => {
    const zip = await readTorchStateDict(fixture('zip_smallnet.pt'));
    expectSameStateDict(await parseTorchStateDict(legacyFromStateDict(zip), 'copy.pt'), zip);
  });
});

describe('legacy files of PyTorch < 0.4 (hand-built)', () => {
  test('a storage view (view_metadata) is a window on the stored storage', async () => {
    const main = stateDictPickle('legacy', {
      a: { key: '7', numel: 6, shape: [2], stride: [2], offset: 1, view: ['8', 2, 4] },
      b: { key: '7', numel: 6, shape: [2, 3], view: ['9', 0, 6] },
    });
    const sd = await parseTorchStateDict(legacyFile({ main, storages: [{ key: '7', data: f32(0, 1, 2, 3, 4, 5) }] }), 'views.pt');
    expect(Array.from(sd.get('a')!.data)).toEqual([3, 5]);
    expect(Array.from(sd.get('b')!.data)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test('_rebuild_tensor (v1, four arguments) with a transposed stride', async () => {
    const main = stateDictPickle('legacy', { w: { key: '1', numel: 6, shape: [3, 2], stride: [1, 3], rebuild: 'v1' } });
    const sd = await parseTorchStateDict(legacyFile({ main, storages: [{ key: '1', data: f32(0, 1, 2, 3, 4, 5) }] }), 'v1.pt');
    expect(sd.get('w')!.shape).toEqual([3, 2]);
    expect(Array.from(sd.get('w')!.data)).toEqual([0, 3, 1, 4, 2, 5]);
  });
});
