import JSZip from 'jszip';
import { unpickle } from './pickleMachine';
import { StateDict } from './tensor';
import { TorchFileError, buildStateDict, torchPickle } from './torchPickle';

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

/**
 * Walks the central directory before jszip touches any entry data and refuses what torch.save never writes but an
 * attacker might: compressed entries (a deflate bomb inflates gigabytes from a small file before jszip's size check),
 * encrypted ones, names that climb out of the archive (jszip silently rewrites `a/../data.pkl` to `data.pkl`), and
 * duplicated names (jszip keeps one of them). A damaged directory throws a plain Error, reported as not a zip checkpoint.
 */
function checkCentralDirectory(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = bytes.length - 22;
  while (eocd >= 0 && eocd >= bytes.length - 22 - 0xffff && view.getUint32(eocd, true) !== 0x06054b50) eocd--;
  if (eocd < 0 || eocd < bytes.length - 22 - 0xffff) throw new Error('no end of central directory record');
  let count = view.getUint16(eocd + 10, true);
  let pos = view.getUint32(eocd + 16, true);
  if ((count === 0xffff || pos === 0xffffffff) && eocd >= 20 && view.getUint32(eocd - 20, true) === 0x07064b50) {
    const rec = Number(view.getBigUint64(eocd - 12, true));
    if (rec + 56 > eocd || view.getUint32(rec, true) !== 0x06064b50) throw new Error('bad ZIP64 end of central directory record');
    count = Number(view.getBigUint64(rec + 32, true));
    pos = Number(view.getBigUint64(rec + 48, true));
  }
  const names = new Set<string>();
  for (let i = 0; i < count; i++) {
    if (pos + 46 > eocd || view.getUint32(pos, true) !== 0x02014b50) throw new Error(`central directory entry ${i} of ${count} is missing or damaged`);
    const nameLength = view.getUint16(pos + 28, true);
    if (pos + 46 + nameLength > eocd) throw new Error(`central directory entry ${i} of ${count} is truncated`);
    const name = Buffer.from(bytes.buffer, bytes.byteOffset + pos + 46, nameLength).toString('utf8');
    const shown = JSON.stringify(name.length > 100 ? `${name.slice(0, 100)}...` : name);
    if (view.getUint16(pos + 8, true) & 1) throw new TorchFileError(`entry ${shown} is encrypted`);
    const method = view.getUint16(pos + 10, true);
    if (method !== 0) throw new TorchFileError(`entry ${shown} is compressed (method ${method}); torch.save stores entries uncompressed`);
    if (name.startsWith('/') || name.includes('\\') || name.replace(/\/$/, '').split('/').some((s) => s === '..' || s === '.' || s === '')) {
      throw new TorchFileError(`entry name ${shown} is not a plain relative path`);
    }
    if (names.has(name)) throw new TorchFileError(`entry ${shown} appears twice`);
    names.add(name);
    pos += 46 + nameLength + view.getUint16(pos + 30, true) + view.getUint16(pos + 32, true);
  }
}

/** Reads torch.save's zip layout (`<name>/data.pkl`, `<name>/data/<key>`). Never executes anything from the file. */
export async function parseTorchZip(bytes: Uint8Array, source: string): Promise<StateDict> {
  let zip: JSZip;
  try {
    checkCentralDirectory(bytes);
    zip = await JSZip.loadAsync(withoutRedundantZip64Trailer(bytes), { checkCRC32: true });
  } catch (e) {
    if (e instanceof TorchFileError) throw new TorchFileError(`${source}: ${e.message}`);
    throw new TorchFileError(`${source}: not a PyTorch zip checkpoint (${(e as Error).message})`);
  }
  const pklName = Object.keys(zip.files).find((n) => /^[^/]+\/data\.pkl$/.test(n));
  if (!pklName) throw new TorchFileError(`${source}: no <name>/data.pkl entry; not a torch.save(state_dict) file`);
  const prefix = pklName.slice(0, -'data.pkl'.length);
  const pkl = await zip.file(pklName)!.async('uint8array');

  const torch = torchPickle('zip', bytes.length);
  let root: unknown;
  try {
    root = unpickle(pkl, torch.options);
  } catch (e) {
    throw new TorchFileError(`${source}: ${(e as Error).message}`);
  }
  return buildStateDict(root, async (key, tensor) => {
    const entry = zip.file(`${prefix}data/${key}`);
    if (!entry) throw new TorchFileError(`${source}: tensor "${tensor}" needs missing zip entry data/${key}`);
    const raw = await entry.async('uint8array');
    const expected = torch.storages.get(key)! * 4;
    if (raw.byteLength !== expected) throw new TorchFileError(`${source}: storage data/${key} has ${raw.byteLength} bytes, expected ${expected}`);
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }, source);
}
