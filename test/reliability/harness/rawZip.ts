import * as zlib from 'node:zlib';

/**
 * A zip writer that writes exactly what it is told, including what a real archiver never would: sizes that lie,
 * names that climb out (`../`), deflate streams built to inflate to gigabytes. Tests build hostile archives with it.
 */
export interface RawZipEntry {
  readonly name: string;
  /** The entry's stored bytes (already deflated when `method` is 8). */
  readonly data: Buffer;
  /** 0 stored, 8 deflate; any other method number is written as given (an archive no reader can inflate). */
  readonly method: number;
  /** The uncompressed size and CRC the headers declare. */
  readonly declaredSize: number;
  readonly crc32: number;
}

export function storedEntry(name: string, content: Buffer): RawZipEntry {
  return { name, data: content, method: 0, declaredSize: content.length, crc32: zlib.crc32(content) };
}

export function deflatedEntry(name: string, content: Buffer): RawZipEntry {
  return { name, data: zlib.deflateRawSync(content), method: 8, declaredSize: content.length, crc32: zlib.crc32(content) };
}

const MiB = 1 << 20;
let zeroChunk: { readonly deflated: Buffer; readonly crcOfMiB: number } | undefined;

/**
 * A raw deflate stream of `prefix` followed by zeros up to `totalBytes`, built without ever holding the inflated
 * bytes: one fully-flushed block of 1 MiB of zeros (about 1 KB) repeated, then an empty final block. CRC-32 of the
 * whole inflated content comes with it, so the archive or gzip member is valid.
 */
export function zerosDeflated(totalBytes: number, prefix: Buffer = Buffer.alloc(0)): { readonly data: Buffer; readonly crc32: number } {
  if (totalBytes < prefix.length) throw new RangeError('totalBytes is shorter than the prefix');
  zeroChunk ??= (() => {
    const zeros = Buffer.alloc(MiB);
    return { deflated: zlib.deflateRawSync(zeros, { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH }), crcOfMiB: zlib.crc32(zeros) };
  })();
  const zeros = Buffer.alloc(MiB);
  const head = prefix.length > 0 ? zlib.deflateRawSync(prefix, { finishFlush: zlib.constants.Z_FULL_FLUSH }) : Buffer.alloc(0);
  let crc = zlib.crc32(prefix);
  const parts: Buffer[] = [head];
  let left = totalBytes - prefix.length;
  while (left >= MiB) {
    parts.push(zeroChunk.deflated);
    crc = zlib.crc32(zeros, crc);
    left -= MiB;
  }
  if (left > 0) {
    const tail = zeros.subarray(0, left);
    parts.push(zlib.deflateRawSync(tail, { finishFlush: zlib.constants.Z_FULL_FLUSH }));
    crc = zlib.crc32(tail, crc);
  }
  parts.push(Buffer.from([0x03, 0x00])); // final empty block with fixed Huffman codes
  return { data: Buffer.concat(parts), crc32: crc };
}

/** A gzip member (RFC 1952) inflating to `prefix` then zeros up to `totalBytes`, with the right CRC and ISIZE. */
export function zerosGzip(totalBytes: number, prefix: Buffer = Buffer.alloc(0)): Buffer {
  const { data, crc32 } = zerosDeflated(totalBytes, prefix);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32 >>> 0, 0);
  trailer.writeUInt32LE(totalBytes % 2 ** 32, 4);
  return Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]), data, trailer]);
}

/** A deflated entry of `totalBytes` zeros (after `prefix`) that declares `declaredSize` (default: the truth). */
export function zerosEntry(name: string, totalBytes: number, declaredSize = totalBytes, prefix?: Buffer): RawZipEntry {
  const { data, crc32 } = zerosDeflated(totalBytes, prefix);
  return { name, data, method: 8, declaredSize, crc32 };
}

/** Local headers, data and the central directory; zip64 records when a declared size or the count needs them. */
export function buildZip(entries: readonly RawZipEntry[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const big = e.declaredSize >= 0xffffffff;
    const zip64Extra = big ? Buffer.alloc(4 + 16) : Buffer.alloc(0);
    if (big) {
      zip64Extra.writeUInt16LE(0x0001, 0);
      zip64Extra.writeUInt16LE(16, 2);
      zip64Extra.writeBigUInt64LE(BigInt(e.declaredSize), 4);
      zip64Extra.writeBigUInt64LE(BigInt(e.data.length), 12);
    }
    const sizeField = big ? 0xffffffff : e.declaredSize;
    const compressedField = big ? 0xffffffff : e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(big ? 45 : 20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.crc32 >>> 0, 14);
    local.writeUInt32LE(compressedField, 18);
    local.writeUInt32LE(sizeField, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(zip64Extra.length, 28);
    parts.push(local, name, zip64Extra, e.data);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(0x031e, 4);
    cd.writeUInt16LE(big ? 45 : 20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(e.method, 10);
    cd.writeUInt32LE(e.crc32 >>> 0, 16);
    cd.writeUInt32LE(compressedField, 20);
    cd.writeUInt32LE(sizeField, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt16LE(zip64Extra.length, 30);
    cd.writeUInt32LE(0o100644 * 0x10000, 38);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name, zip64Extra);
    offset += local.length + name.length + zip64Extra.length + e.data.length;
  }
  const cdBytes = Buffer.concat(central);
  const needs64 = entries.length >= 0xffff;
  const tail: Buffer[] = [];
  if (needs64) {
    const z64 = Buffer.alloc(56);
    z64.writeUInt32LE(0x06064b50, 0);
    z64.writeBigUInt64LE(44n, 4);
    z64.writeUInt16LE(45, 12);
    z64.writeUInt16LE(45, 14);
    z64.writeBigUInt64LE(BigInt(entries.length), 24);
    z64.writeBigUInt64LE(BigInt(entries.length), 32);
    z64.writeBigUInt64LE(BigInt(cdBytes.length), 40);
    z64.writeBigUInt64LE(BigInt(offset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(offset + cdBytes.length), 8);
    locator.writeUInt32LE(1, 16);
    tail.push(z64, locator);
  }
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(needs64 ? 0xffff : entries.length, 8);
  eocd.writeUInt16LE(needs64 ? 0xffff : entries.length, 10);
  eocd.writeUInt32LE(cdBytes.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBytes, ...tail, eocd]);
}
