import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readTorchStateDict } from '../../src/weights/readTorchStateDict';
import { writeTorchStateDict } from '../../src/weights/writeTorchStateDict';
import { Float32Tensor } from '../../src/weights/tensor';
import { describeWithOracle, oracleFile } from '../helpers/oracle';

function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-pt-'));
}

function expectSameStateDict(a: ReadonlyMap<string, Float32Tensor>, b: ReadonlyMap<string, Float32Tensor>): void {
  expect([...a.keys()]).toEqual([...b.keys()]);
  for (const [k, t] of a) {
    expect(b.get(k)!.shape).toEqual(t.shape);
    expect(Buffer.from(b.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
  }
}

describe('writeTorchStateDict', () => {
  test.each([
    ['scalars and every integer width', new Map<string, Float32Tensor>([
      ['a.weight', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, NaN, Infinity, -0]) }],
      ['empty', { shape: [0], data: new Float32Array(0) }],
      ['big', { shape: [300, 250], data: Float32Array.from({ length: 75000 }, (_, i) => i * 0.5) }],
      ['ünïcode key', { shape: [1, 1, 1, 1, 1], data: Float32Array.from([7]) }],
    ])],
  ])('round trip through our reader: %s', async (_name, sd) => {
    const file = path.join(tmpDir(), 'model.pt');
    await writeTorchStateDict(file, sd);
    expectSameStateDict(sd, await readTorchStateDict(file));
    expect(fs.readdirSync(path.dirname(file))).toEqual(['model.pt']);
  });

  test('a shape that does not match the data is refused and leaves no file behind', async () => {
    const dir = tmpDir();
    await expect(writeTorchStateDict(path.join(dir, 'bad.pt'), new Map([['x', { shape: [2, 2], data: new Float32Array(3) }]]))).rejects.toThrow(/shape \[2, 2\]/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('an unwritable destination gives a clear error and leaves no temporary file', async () => {
    const dir = tmpDir();
    await expect(writeTorchStateDict(path.join(dir, 'missing', 'x.pt'), new Map())).rejects.toThrow(/cannot write weights file/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });
});

describeWithOracle('writeTorchStateDict on a real checkpoint', () => {
  test('the tiny MONAI model survives write + read bit for bit', async () => {
    const sd = await readTorchStateDict(oracleFile('segresnet105_tiny_seed1.pt'));
    const file = path.join(tmpDir(), 'tiny.pt');
    await writeTorchStateDict(file, sd);
    expectSameStateDict(sd, await readTorchStateDict(file));
  });
});
