import { PickleError, PickleGlobal, PickleOptions } from './pickleMachine';
import { Float32Tensor, StateDict, numel } from './tensor';

/**
 * The state_dict pickle shared by both torch.save layouts (zip and legacy): the allow-listed globals, the storage
 * references behind persistent ids, and building contiguous tensors once the storages' bytes are known.
 */

export class TorchFileError extends Error {
  override name = 'TorchFileError';
}

/** A storage as a tensor sees it: `numel` elements from `offset` of the stored (root) storage `key`. */
interface StorageRef {
  readonly kind: 'storage';
  readonly key: string;
  readonly offset: number;
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

const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
const isCountList = (v: unknown): v is number[] => Array.isArray(v) && v.every(isCount);

/**
 * `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[, metadata])`, and PyTorch < 0.4's
 * `_rebuild_tensor(storage, offset, size, stride)`.
 */
function rebuildTensor(args: unknown[], arities: readonly number[], fn: string): TensorRef {
  if (!arities.includes(args.length)) throw new PickleError(`${fn} with ${args.length} arguments (expected ${arities.join(' or ')})`);
  const [storage, offset, shape, stride] = args;
  if (!storage || (storage as StorageRef).kind !== 'storage') throw new PickleError(`${fn} without a storage`);
  if (!isCount(offset) || !isCountList(shape) || !isCountList(stride) || shape.length !== stride.length) {
    throw new PickleError(`${fn} with a malformed offset, size or stride`);
  }
  return { kind: 'tensor', storage: storage as StorageRef, offset, shape, stride };
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
  add('torch._utils _rebuild_tensor_v2', (a) => rebuildTensor(a, [6, 7], '_rebuild_tensor_v2'));
  add('torch._utils _rebuild_tensor', (a) => rebuildTensor(a, [4], '_rebuild_tensor'));
  add('torch._utils _rebuild_from_type_v2', rebuildFromType);
  add('torch._utils _rebuild_parameter', (a) => a[0]);
  add('torch Tensor');
  add('torch.nn.parameter Parameter');
  g.set(FLOAT_STORAGE.qualname, FLOAT_STORAGE);
  for (const s of UNSUPPORTED_STORAGES) add(`torch ${s}`);
  return g;
}

/** The pickle options for one file, and every storage its persistent ids declared (key -> element count). */
export interface TorchPickle {
  readonly options: PickleOptions;
  readonly storages: ReadonlyMap<string, number>;
}

/**
 * Persistent ids are `('storage', type, key, location, numel)` in the zip layout and
 * `('storage', type, key, location, numel, view_metadata)` in the legacy one, where view_metadata is None or (before
 * PyTorch 0.4) `(view_key, offset, view_numel)`, a window on the stored storage. Counts are checked against the file
 * size here, before anything is allocated.
 */
export function torchPickle(layout: 'zip' | 'legacy', fileBytes: number): TorchPickle {
  const storages = new Map<string, number>();
  const views = new Map<string, string>();
  const persistentLoad = (pid: unknown): StorageRef => {
    const arity = layout === 'zip' ? 5 : 6;
    if (!Array.isArray(pid) || pid.length !== arity || pid[0] !== 'storage') {
      throw new PickleError(`unsupported persistent id (not a ${arity}-tuple ('storage', ...) of a torch ${layout} checkpoint)`);
    }
    const [, type, key, location, count, view] = pid as unknown[];
    if ((type as PickleGlobal)?.kind !== 'global') throw new PickleError('malformed storage reference (its type is not a torch storage class)');
    if (type !== FLOAT_STORAGE) {
      throw new TorchFileError(`unsupported tensor dtype "${(type as PickleGlobal).qualname}": only float32 (torch.FloatStorage) weights are accepted`);
    }
    if (typeof key !== 'string' || !/^\d+$/.test(key) || typeof location !== 'string' || !isCount(count)) throw new PickleError('malformed storage reference');
    if (count * 4 > fileBytes) throw new PickleError(`storage ${key} claims ${count} float32 values, more than the ${fileBytes}-byte file holds`);
    if (storages.has(key) && storages.get(key) !== count) throw new PickleError(`storage ${key} declared with ${storages.get(key)} and with ${count} elements`);
    storages.set(key, count);
    if (view === undefined || view === null) return { kind: 'storage', key, offset: 0, numel: count };
    const parts: readonly unknown[] = Array.isArray(view) && view.length === 3 ? view : [];
    const [viewKey, offset, size] = parts;
    if (typeof viewKey !== 'string' || !isCount(offset) || !isCount(size) || offset + size > count) {
      throw new PickleError(`malformed storage view of storage ${key} (not (key, offset, numel) inside its ${count} elements)`);
    }
    const window = `${key} ${offset} ${size}`;
    if ((views.get(viewKey) ?? window) !== window) throw new PickleError(`storage view ${viewKey} declared twice differently`);
    views.set(viewKey, window);
    return { kind: 'storage', key, offset, numel: size };
  };
  return { options: { globals: allowedGlobals(), persistentLoad }, storages };
}

/**
 * Turns the unpickled root into the state_dict, reading each stored storage once through `storageData` (which has
 * checked its byte size against the declared count).
 */
export async function buildStateDict(root: unknown, storageData: (key: string, tensor: string) => Promise<Float32Array> | Float32Array, source: string): Promise<StateDict> {
  if (!(root instanceof Map)) throw new TorchFileError(`${source}: the pickle is not a state_dict (an OrderedDict of tensors)`);
  const storages = new Map<string, Float32Array>();
  const out = new Map<string, Float32Tensor>();
  for (const [name, ref] of root) {
    if (typeof name !== 'string') throw new TorchFileError(`${source}: state_dict key is not a string`);
    if (!ref || (ref as TensorRef).kind !== 'tensor') throw new TorchFileError(`${source}: entry "${name}" is not a tensor`);
    const t = ref as TensorRef;
    let storage = storages.get(t.storage.key);
    if (!storage) {
      storage = await storageData(t.storage.key, name);
      storages.set(t.storage.key, storage);
    }
    out.set(name, { shape: t.shape, data: gather(storage.subarray(t.storage.offset, t.storage.offset + t.storage.numel), t, `${source}: tensor "${name}"`) });
  }
  return out;
}

/** Copies a (possibly strided) view of a storage into a contiguous C-order array. */
function gather(storage: Float32Array, t: TensorRef, what: string): Float32Array {
  const n = numel(t.shape);
  const rank = t.shape.length;
  if (n === 0) return new Float32Array(0);
  // Bounds every allocation by the file: an expanded (stride-0) view could otherwise ask for terabytes from a few bytes.
  if (n > storage.length) throw new TorchFileError(`${what} has ${n} elements, more than its storage's ${storage.length} (expanded or overlapping views are not supported)`);
  // In range below: shape and stride both have `rank` entries (tensorRef checks it), so does idx, and every src is at
  // most maxIndex, inside the storage.
  let maxIndex = t.offset;
  for (let d = 0; d < rank; d++) maxIndex += (t.shape[d]! - 1) * t.stride[d]!;
  if (maxIndex >= storage.length) throw new TorchFileError(`${what} reads past the end of its storage (element ${maxIndex} of ${storage.length})`);
  if (isContiguous(t.shape, t.stride)) return storage.slice(t.offset, t.offset + n);
  const out = new Float32Array(n);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < n; i++) {
    let src = t.offset;
    for (let d = 0; d < rank; d++) src += idx[d]! * t.stride[d]!;
    out[i] = storage[src]!;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d]! < t.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (const [d, n] of [...shape.entries()].reverse()) {
    if (n !== 1 && stride[d] !== expected) return false;
    expected *= n;
  }
  return true;
}
