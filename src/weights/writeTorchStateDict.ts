import JSZip from 'jszip';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { StateDict, numel } from './tensor';

/**
 * Pickle protocol 2, the subset torch.save uses for a state_dict: an OrderedDict of
 * `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks)` calls whose
 * storages are persistent ids `('storage', torch.FloatStorage, key, 'cpu', numel)`.
 */
class PickleWriter {
  private readonly parts: Buffer[] = [Buffer.from([0x80, 0x02])];

  private op(...bytes: number[]): void {
    this.parts.push(Buffer.from(bytes));
  }

  global(module: string, name: string): void {
    this.parts.push(Buffer.from(`c${module}\n${name}\n`, 'latin1'));
  }

  str(s: string): void {
    const utf8 = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(utf8.length);
    this.parts.push(Buffer.from('X', 'latin1'), len, utf8);
  }

  int(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new RangeError(`pickle integer ${n} out of supported range`);
    if (n < 0x100) this.op(0x4b, n); // BININT1
    else if (n < 0x10000) this.op(0x4d, n & 0xff, n >> 8); // BININT2
    else {
      const b = Buffer.alloc(5);
      b[0] = 0x4a; // BININT
      b.writeInt32LE(n, 1);
      this.parts.push(b);
    }
  }

  intTuple(values: readonly number[]): void {
    this.mark();
    for (const v of values) this.int(v);
    this.op(0x74); // TUPLE
  }

  mark(): void {
    this.op(0x28);
  }
  tuple(): void {
    this.op(0x74);
  }
  emptyTuple(): void {
    this.op(0x29);
  }
  reduce(): void {
    this.op(0x52);
  }
  newFalse(): void {
    this.op(0x89);
  }
  binPersId(): void {
    this.op(0x51);
  }
  setItems(): void {
    this.op(0x75);
  }

  finish(): Buffer {
    this.op(0x2e); // STOP
    return Buffer.concat(this.parts);
  }
}

function contiguousStride(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let s = 1;
  for (const [d, n] of [...shape.entries()].reverse()) {
    stride[d] = s;
    s *= n;
  }
  return stride;
}

function statePickle(sd: StateDict): Buffer {
  const p = new PickleWriter();
  p.global('collections', 'OrderedDict');
  p.emptyTuple();
  p.reduce();
  p.mark();
  let key = 0;
  for (const [name, t] of sd) {
    p.str(name);
    p.global('torch._utils', '_rebuild_tensor_v2');
    p.mark();
    p.mark();
    p.str('storage');
    p.global('torch', 'FloatStorage');
    p.str(String(key++));
    p.str('cpu');
    p.int(t.data.length);
    p.tuple();
    p.binPersId();
    p.int(0);
    p.intTuple(t.shape);
    p.intTuple(contiguousStride(t.shape));
    p.newFalse();
    p.global('collections', 'OrderedDict');
    p.emptyTuple();
    p.reduce();
    p.tuple();
    p.reduce();
  }
  p.setItems();
  return p.finish();
}

/** The bytes of `torch.save(state_dict)` in torch's zip format (entries stored uncompressed under `<stem>/`). */
export async function serializeTorchStateDict(sd: StateDict, stem: string): Promise<Buffer> {
  if (!/^[A-Za-z0-9_.-]+$/.test(stem)) throw new RangeError(`archive name "${stem}" must be a plain file stem`);
  const zip = new JSZip();
  const add = (name: string, data: Buffer | string) => zip.file(`${stem}/${name}`, data, { createFolders: false, binary: true });
  add('data.pkl', statePickle(sd));
  let i = 0;
  for (const [name, t] of sd) {
    if (numel(t.shape) !== t.data.length) throw new RangeError(`tensor "${name}": shape [${t.shape.join(', ')}] does not match ${t.data.length} values`);
    add(`data/${i++}`, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  add('byteorder', 'little');
  add('version', '3\n');
  return zip.generateAsync({ type: 'nodebuffer', compression: 'STORE' });
}

/**
 * Writes a float32 state_dict as a PyTorch `.pt` file (torch.load-able; the stem inside the archive is the file's name
 * without extension, as torch.save does). Atomic: a temporary file is renamed into place, so readers never see half a file.
 */
export async function writeTorchStateDict(file: string, sd: StateDict): Promise<void> {
  if (os.endianness() !== 'LE') throw new Error('writing .pt files needs a little-endian machine');
  const stem = path.basename(file).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_.-]/g, '_') || 'archive';
  const bytes = await serializeTorchStateDict(sd, stem);
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new Error(`cannot write weights file ${file}: ${(e as Error).message}`);
  }
}
