import * as fs from 'node:fs/promises';
import JSZip from 'jszip';
import { PickleError, PickleGlobal, unpickle } from './pickleMachine';
import { Float32Tensor, StateDict, numel } from './tensor';

export class TorchFileError extends Error {
  override name = 'TorchFileError';
}

interface StorageRef {
  readonly kind: 'storage';
  readonly key: string;
  readonly numel: number;
}

interface TensorRef {
  readonly kind: 'tensor';
  readonly storage: StorageRef;
  readonly offset: number;
  readonly shape: number[];
  readonly stride: number[];
}

const FLOAT_STORAGE: PickleGlobal = { kind: 'global', qualname: 'torch FloatStorage' };
const UNSUPPORTED_STORAGES = ['HalfStorage', 'DoubleStorage', 'BFloat16Storage', 'LongStorage', 'IntStorage', 'ShortStorage', 'CharStorage', 'ByteStorage', 'BoolStorage'];

function isIntList(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0);
}

function rebuildTensor(args: unknown[]): TensorRef {
  const [storage, offset, shape, stride] = args;
  if (!storage || (storage as StorageRef).kind !== 'storage') throw new PickleError('_rebuild_tensor_v2 without a storage');
  if (!Number.isInteger(offset) || (offset as number) < 0 || !isIntList(shape) || !isIntList(stride) || shape.length !== stride.length) {
    throw new PickleError('_rebuild_tensor_v2 with a malformed offset, size or stride');
  }
  return { kind: 'tensor', storage: storage as StorageRef, offset: offset as number, shape, stride };
}

/** torch 2.x wraps tensors of subclasses in `_rebuild_from_type_v2(func, type, args, state)`; only plain tensor types are accepted. */
function rebuildFromType(args: unknown[]): unknown {
  const [func, type, inner, state] = args as [PickleGlobal, PickleGlobal, unknown[], unknown];
  if (!func?.call || !type || type.kind !== 'global' || !Array.isArray(inner)) throw new PickleError('malformed _rebuild_from_type_v2');
  if (state instanceof Map && state.size > 0) throw new PickleError('tensor subclass state is not supported');
  return func.call(inner);
}

function allowedGlobals(): Map<string, PickleGlobal> {
  const g = new Map<string, PickleGlobal>();
  const add = (qualname: string, call?: (a: unknown[]) => unknown) => g.set(qualname, { kind: 'global', qualname, call });
  add('collections OrderedDict', (a) => {
    if (a.length !== 0) throw new PickleError('OrderedDict with constructor arguments');
    return new Map();
  });
  add('torch._utils _rebuild_tensor_v2', rebuildTensor);
  add('torch._utils _rebuild_from_type_v2', rebuildFromType);
  add('torch._utils _rebuild_parameter', (a) => a[0]);
  add('torch Tensor');
  add('torch.nn.parameter Parameter');
  g.set(FLOAT_STORAGE.qualname, FLOAT_STORAGE);
  for (const s of UNSUPPORTED_STORAGES) add(`torch ${s}`);
  return g;
}

function persistentLoad(pid: unknown): StorageRef {
  if (!Array.isArray(pid) || pid.length !== 5 || pid[0] !== 'storage') throw new PickleError('unsupported persistent id (not a torch storage)');
  const [, type, key, , count] = pid as [string, PickleGlobal, unknown, unknown, unknown];
  if (type !== FLOAT_STORAGE) {
    const name = (type as PickleGlobal)?.qualname ?? String(type);
    throw new TorchFileError(`unsupported tensor dtype "${name}": only float32 (torch.FloatStorage) weights are accepted`);
  }
  if (typeof key !== 'string' || !/^\d+$/.test(key) || !Number.isInteger(count)) throw new PickleError('malformed storage reference');
  return { kind: 'storage', key, numel: count as number };
}

/**
 * PyTorch's writer (miniz) always appends a ZIP64 end record and locator, even for small archives whose classic
 * end record is complete. jszip 3.10 then counts those 76 bytes as data prepended to the archive, shifts every offset,
 * and fails with "expected 85 records in central dir, got 0" on every real checkpoint. When the classic record
 * needs no ZIP64 values, dropping the redundant trailer gives jszip a byte-identical archive it reads correctly.
 */
function withoutRedundantZip64Trailer(bytes: Uint8Array): Uint8Array {
  const EOCD = 22;
  const end = bytes.length - EOCD;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (end < 76 || view.getUint32(end, true) !== 0x06054b50 || view.getUint16(end + 20, true) !== 0) return bytes;
  const locator = end - 20;
  if (view.getUint32(locator, true) !== 0x07064b50) return bytes;
  const saturated = view.getUint16(end + 10, true) === 0xffff || view.getUint32(end + 12, true) === 0xffffffff || view.getUint32(end + 16, true) === 0xffffffff;
  if (saturated) return bytes;
  const zip64Start = Number(view.getBigUint64(locator + 8, true));
  if (zip64Start !== view.getUint32(end + 16, true) + view.getUint32(end + 12, true)) return bytes;
  return Buffer.concat([bytes.subarray(0, zip64Start), bytes.subarray(end)]);
}

/** Reads the zip entries, checks the layout, and returns the ordered tensors. Never executes anything from the file. */
export async function parseTorchStateDict(bytes: Uint8Array, source = 'weights'): Promise<StateDict> {
  let zip: JSZip;
  try {
    zip = await JSZip.loadAsync(withoutRedundantZip64Trailer(bytes), { checkCRC32: true });
  } catch (e) {
    throw new TorchFileError(`${source}: not a PyTorch zip checkpoint (${(e as Error).message}); legacy non-zip torch.save files and TorchScript are not supported`);
  }
  const pklName = Object.keys(zip.files).find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pklName) throw new TorchFileError(`${source}: no <name>/data.pkl entry; not a torch.save(state_dict) file`);
  const prefix = pklName.slice(0, -'data.pkl'.length);
  const pkl = await zip.file(pklName)!.async('uint8array');

  let root: unknown;
  try {
    root = unpickle(pkl, { globals: allowedGlobals(), persistentLoad });
  } catch (e) {
    if (e instanceof TorchFileError) throw new TorchFileError(`${source}: ${e.message}`);
    throw new TorchFileError(`${source}: ${(e as Error).message}`);
  }
  if (!(root instanceof Map)) throw new TorchFileError(`${source}: the pickle is not a state_dict (an OrderedDict of tensors)`);

  const storages = new Map<string, Float32Array>();
  const out = new Map<string, Float32Tensor>();
  for (const [name, ref] of root) {
    if (typeof name !== 'string') throw new TorchFileError(`${source}: state_dict key is not a string`);
    if (!ref || (ref as TensorRef).kind !== 'tensor') throw new TorchFileError(`${source}: entry "${name}" is not a tensor`);
    const t = ref as TensorRef;
    let storage = storages.get(t.storage.key);
    if (!storage) {
      const entry = zip.file(`${prefix}data/${t.storage.key}`);
      if (!entry) throw new TorchFileError(`${source}: tensor "${name}" needs missing zip entry data/${t.storage.key}`);
      const raw = await entry.async('uint8array');
      if (raw.byteLength !== t.storage.numel * 4) {
        throw new TorchFileError(`${source}: storage data/${t.storage.key} has ${raw.byteLength} bytes, expected ${t.storage.numel * 4}`);
      }
      storage = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      storages.set(t.storage.key, storage);
    }
    out.set(name, { shape: t.shape, data: gather(storage, t, `${source}: tensor "${name}"`) });
  }
  return out;
}

/** Copies a (possibly strided) view of a storage into a contiguous C-order array. */
function gather(storage: Float32Array, t: TensorRef, what: string): Float32Array {
  const n = numel(t.shape);
  const rank = t.shape.length;
  let maxIndex = t.offset;
  for (let d = 0; d < rank; d++) if (t.shape[d] > 0) maxIndex += (t.shape[d] - 1) * t.stride[d];
  if (n > 0 && maxIndex >= storage.length) throw new TorchFileError(`${what} reads past the end of its storage`);
  if (isContiguous(t.shape, t.stride)) return storage.slice(t.offset, t.offset + n);
  const out = new Float32Array(n);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let src = t.offset;
    for (let d = 0; d < rank; d++) src += idx[d] * t.stride[d];
    out[i] = storage[src];
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < t.shape[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

export async function readTorchStateDict(file: string): Promise<StateDict> {
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (e) {
    throw new TorchFileError(`cannot read weights file ${file}: ${(e as Error).message}`);
  }
  return parseTorchStateDict(bytes, file);
}
