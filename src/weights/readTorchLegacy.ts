import { PickleError, PickleOptions, unpickleAt } from './pickleMachine';
import { StateDict } from './tensor';
import { TorchFileError, buildStateDict, torchPickle } from './torchPickle';

const MAGIC_NUMBER = 0x1950a86a20f9469cfc6cn;
const PROTOCOL_VERSION = 1001;

/** For the pickles around the state_dict: plain values only. */
const PLAIN: PickleOptions = {
  globals: new Map(),
  persistentLoad: () => {
    throw new PickleError('persistent id outside the state_dict pickle');
  },
};

const shown = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);

/**
 * Reads the legacy (non-zip) torch.save layout, written by PyTorch < 1.6 and by `_use_new_zipfile_serialization=False`:
 * five pickles back to back (magic number, protocol version, sys_info, the state_dict whose persistent ids name
 * storages, the list of storage keys), then for each key in that list's order an 8-byte little-endian element count
 * and the storage's raw little-endian bytes. Never executes anything from the file.
 */
export async function parseTorchLegacy(bytes: Uint8Array, source: string): Promise<StateDict> {
  function fail(problem: string): never {
    throw new TorchFileError(`${source}: ${problem}`);
  }
  let pos = 0;
  const next = (what: string, opts = PLAIN): unknown => {
    try {
      const { value, end } = unpickleAt(bytes, pos, opts);
      pos = end;
      return value;
    } catch (e) {
      return fail(`legacy torch.save ${what}: ${(e as Error).message}`);
    }
  };
  if (next('magic number') !== MAGIC_NUMBER) fail('not a PyTorch checkpoint (a pickle, but without the legacy torch.save magic number)');
  const version = next('protocol version');
  if (version !== PROTOCOL_VERSION) fail(`unsupported legacy torch.save protocol version ${typeof version === 'number' ? version : typeof version} (expected ${PROTOCOL_VERSION})`);
  if (!(next('sys_info') instanceof Map)) fail('legacy torch.save sys_info is not a dict');
  const torch = torchPickle('legacy', bytes.length);
  const root = next('state_dict pickle', torch.options);
  const keys = next('storage key list');
  if (!Array.isArray(keys) || !keys.every((k) => typeof k === 'string')) fail('the storage key list is not a list of strings');

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const data = new Map<string, Float32Array>();
  for (const key of keys) {
    const count = torch.storages.get(key);
    if (count === undefined) fail(`the storage key list names ${shown(key)}, which no tensor references`);
    if (data.has(key)) fail(`the storage key list names storage ${key} twice`);
    if (pos + 8 > bytes.length) fail(`truncated: storage ${key} has no element count (byte ${pos})`);
    const stored = view.getBigUint64(pos, true);
    if (stored !== BigInt(count)) fail(`storage ${key} holds ${stored} elements, its tensors declare ${count}`);
    pos += 8;
    if (pos + count * 4 > bytes.length) fail(`truncated: storage ${key} needs ${count * 4} bytes at byte ${pos}, the file has ${bytes.length - pos} left`);
    data.set(key, new Float32Array(bytes.buffer.slice(bytes.byteOffset + pos, bytes.byteOffset + pos + count * 4)));
    pos += count * 4;
  }
  for (const key of torch.storages.keys()) if (!data.has(key)) fail(`storage ${key} has no data (it is missing from the storage key list)`);
  if (pos !== bytes.length) fail(`${bytes.length - pos} unexpected bytes after the last storage`);
  return buildStateDict(root, (key) => data.get(key)!, source);
}
