import * as zlib from 'node:zlib';
import { StateDict } from '../../src/weights/tensor';

/** Builds pickles opcode by opcode, to write the valid and the hostile files of the weights tests by hand. */
export class Pickle {
  private readonly parts: Buffer[] = [];

  constructor(protocol: number | null = 2) {
    if (protocol !== null) this.op(0x80, protocol);
  }

  op(...bytes: number[]): this {
    this.parts.push(Buffer.from(bytes));
    return this;
  }
  raw(b: Uint8Array | string): this {
    this.parts.push(typeof b === 'string' ? Buffer.from(b, 'latin1') : Buffer.from(b));
    return this;
  }
  u32(n: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return this.raw(b);
  }
  /** GLOBAL "module\nname\n" */
  global(module: string, name: string): this {
    return this.raw(`c${module}\n${name}\n`);
  }
  /** SHORT_BINUNICODE x2, STACK_GLOBAL (protocol 4) */
  stackGlobal(module: string, name: string): this {
    return this.shortStr(module).shortStr(name).op(0x93);
  }
  str(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.op(0x58).u32(b.length).raw(b);
  }
  shortStr(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.op(0x8c, b.length).raw(b);
  }
  int(n: number | bigint): this {
    if (typeof n === 'number' && n >= 0 && n < 0x100) return this.op(0x4b, n);
    if (typeof n === 'number' && n >= 0 && n < 0x10000) return this.op(0x4d, n & 0xff, n >> 8);
    if (typeof n === 'number' && n >= -0x80000000 && n < 0x80000000) {
      const b = Buffer.alloc(4);
      b.writeInt32LE(n);
      return this.op(0x4a).raw(b);
    }
    return this.long1(BigInt(n));
  }
  /** LONG1: two's complement little-endian, as Python writes it. */
  long1(v: bigint): this {
    const bytes: number[] = [];
    let x = v;
    for (;;) {
      const byte = Number(BigInt.asUintN(8, x));
      bytes.push(byte);
      x >>= 8n;
      const sign = (byte & 0x80) !== 0;
      if ((x === 0n && !sign) || (x === -1n && sign)) break;
    }
    return this.op(0x8a, bytes.length, ...bytes);
  }
  intTuple(values: readonly (number | bigint)[]): this {
    this.mark();
    for (const v of values) this.int(v);
    return this.tuple();
  }
  mark(): this {
    return this.op(0x28);
  }
  tuple(): this {
    return this.op(0x74);
  }
  tuple1(): this {
    return this.op(0x85);
  }
  tuple2(): this {
    return this.op(0x86);
  }
  append(): this {
    return this.op(0x61);
  }
  emptyTuple(): this {
    return this.op(0x29);
  }
  emptyList(): this {
    return this.op(0x5d);
  }
  emptyDict(): this {
    return this.op(0x7d);
  }
  none(): this {
    return this.op(0x4e);
  }
  newTrue(): this {
    return this.op(0x88);
  }
  newFalse(): this {
    return this.op(0x89);
  }
  reduce(): this {
    return this.op(0x52);
  }
  build(): this {
    return this.op(0x62);
  }
  binPersId(): this {
    return this.op(0x51);
  }
  setItem(): this {
    return this.op(0x73);
  }
  setItems(): this {
    return this.op(0x75);
  }
  appends(): this {
    return this.op(0x65);
  }
  orderedDict(): this {
    return this.global('collections', 'OrderedDict').emptyTuple().reduce();
  }
  stop(): Uint8Array {
    this.op(0x2e);
    return this.bytes();
  }
  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}

export type Layout = 'zip' | 'legacy';

export interface TensorSpec {
  readonly key: string;
  /** Elements of the stored storage, as the persistent id declares them. */
  readonly numel: number | bigint;
  readonly shape: readonly (number | bigint)[];
  readonly stride?: readonly (number | bigint)[];
  readonly offset?: number | bigint;
  readonly storageType?: string;
  /** Legacy only: PyTorch < 0.4's view_metadata (view_key, offset, view_numel). */
  readonly view?: readonly [string, number, number];
  /** `_rebuild_tensor_v2` (default) or PyTorch < 0.4's `_rebuild_tensor`. */
  readonly rebuild?: 'v2' | 'v1';
}

export function contiguousStride(shape: readonly (number | bigint)[]): number[] {
  const stride: number[] = [];
  let s = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    stride[d] = s;
    s *= Number(shape[d]);
  }
  return stride;
}

/** Writes the storage's persistent id the way each layout does; leaves a storage on the stack. */
export function persistentId(p: Pickle, layout: Layout, t: Pick<TensorSpec, 'key' | 'numel' | 'storageType' | 'view'>): Pickle {
  p.mark().str('storage').global('torch', t.storageType ?? 'FloatStorage').str(t.key).str('cpu').int(t.numel);
  if (layout === 'legacy') {
    if (t.view) p.mark().str(t.view[0]).int(t.view[1]).int(t.view[2]).tuple();
    else p.none();
  }
  return p.tuple().binPersId();
}

/** One tensor as torch.save pickles it (`_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())`). */
export function tensorPickle(p: Pickle, layout: Layout, t: TensorSpec): Pickle {
  p.global('torch._utils', t.rebuild === 'v1' ? '_rebuild_tensor' : '_rebuild_tensor_v2').mark();
  persistentId(p, layout, t).int(t.offset ?? 0).intTuple(t.shape).intTuple(t.stride ?? contiguousStride(t.shape));
  if (t.rebuild !== 'v1') p.newFalse().orderedDict();
  return p.tuple().reduce();
}

/** The state_dict pickle (an OrderedDict of tensors), complete with PROTO and STOP. */
export function stateDictPickle(layout: Layout, tensors: Readonly<Record<string, TensorSpec>>): Uint8Array {
  const p = new Pickle().orderedDict().mark();
  for (const [name, t] of Object.entries(tensors)) tensorPickle(p.str(name), layout, t);
  return p.setItems().stop();
}

export const f32 = (...values: number[]) => new Uint8Array(new Float32Array(values).buffer);

export interface LegacyStorage {
  readonly key: string;
  readonly data: Uint8Array;
  /** The 8-byte element count written before the data (default: data bytes / 4). */
  readonly count?: bigint;
}

export interface LegacyParts {
  readonly main: Uint8Array;
  readonly storages?: readonly LegacyStorage[];
  readonly magic?: Uint8Array;
  readonly version?: Uint8Array;
  readonly sysInfo?: Uint8Array;
  /** The storage key list pickle (default: the storages' keys in order). */
  readonly keys?: Uint8Array;
  readonly tail?: Uint8Array;
}

export const MAGIC = 0x1950a86a20f9469cfc6cn;

export function sysInfoPickle(): Uint8Array {
  const p = new Pickle().emptyDict().mark().str('protocol_version').int(1001).str('little_endian').newTrue().str('type_sizes');
  return p.emptyDict().mark().str('short').int(2).str('int').int(4).str('long').int(4).setItems().setItems().stop();
}

export function keyListPickle(keys: readonly string[]): Uint8Array {
  const p = new Pickle().emptyList().mark();
  for (const k of keys) p.str(k);
  return p.appends().stop();
}

/** A file in torch.save's legacy layout, each part replaceable. */
export function legacyFile(parts: LegacyParts): Uint8Array {
  const storages = parts.storages ?? [];
  const out: Uint8Array[] = [
    parts.magic ?? new Pickle().long1(MAGIC).stop(),
    parts.version ?? new Pickle().int(1001).stop(),
    parts.sysInfo ?? sysInfoPickle(),
    parts.main,
    parts.keys ?? keyListPickle(storages.map((s) => s.key)),
  ];
  for (const s of storages) {
    const count = Buffer.alloc(8);
    count.writeBigUInt64LE(s.count ?? BigInt(s.data.byteLength / 4));
    out.push(count, s.data);
  }
  if (parts.tail) out.push(parts.tail);
  return new Uint8Array(Buffer.concat(out));
}

/** A contiguous float32 state_dict written in the legacy layout (storage keys "0", "1", ... in state_dict order). */
export function legacyFromStateDict(sd: StateDict): Uint8Array {
  const tensors: Record<string, TensorSpec> = {};
  const storages: LegacyStorage[] = [];
  for (const [name, t] of sd) {
    const key = String(storages.length);
    tensors[name] = { key, numel: t.data.length, shape: t.shape };
    storages.push({ key, data: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) });
  }
  return legacyFile({ main: stateDictPickle('legacy', tensors), storages });
}

export interface ZipEntrySpec {
  readonly name: string;
  readonly data: Uint8Array;
  /** 0 stored (default), 8 deflate (the data is deflated here). */
  readonly method?: 0 | 8;
  /** Overrides the uncompressed size written in both headers. */
  readonly claimedSize?: number;
  readonly flags?: number;
}

/** A zip archive written field by field, so that tests can make the entries torch never writes (names, methods, duplicates). */
export function rawZip(entries: readonly ZipEntrySpec[], opts: { extraDirectoryCount?: number } = {}): Uint8Array {
  const local: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const stored = e.method === 8 ? zlib.deflateRawSync(e.data) : Buffer.from(e.data);
    const crc = zlib.crc32(e.data);
    const size = e.claimedSize ?? e.data.byteLength;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(e.flags ?? 0, 6);
    lh.writeUInt16LE(e.method ?? 0, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(stored.length, 18);
    lh.writeUInt32LE(size, 22);
    lh.writeUInt16LE(name.length, 26);
    local.push(lh, name, stored);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(e.flags ?? 0, 8);
    ch.writeUInt16LE(e.method ?? 0, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(stored.length, 20);
    ch.writeUInt32LE(size, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    central.push(ch, name);
    offset += 30 + name.length + stored.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  const count = entries.length + (opts.extraDirectoryCount ?? 0);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(count, 8);
  eocd.writeUInt16LE(count, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...local, cd, eocd]));
}

/** torch.save's zip layout around a given data.pkl: `m/data.pkl`, `m/data/<key>`, `m/version`. */
export function torchZip(pkl: Uint8Array, storages: Readonly<Record<string, Uint8Array>> = {}): Uint8Array {
  return rawZip([
    { name: 'm/data.pkl', data: pkl },
    ...Object.entries(storages).map(([k, data]) => ({ name: `m/data/${k}`, data })),
    { name: 'm/version', data: Buffer.from('3\n') },
  ]);
}
