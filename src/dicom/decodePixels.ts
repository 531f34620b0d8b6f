import type * as dicomParser from 'dicom-parser';

/** What decoding a native (uncompressed) PixelData element needs. */
export interface PixelFormat {
  readonly transferSyntax: string;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly pixelRepresentation: number;
  readonly samplesPerPixel: number;
  readonly rows: number;
  readonly columns: number;
  readonly slope: number;
  readonly intercept: number;
}

const NATIVE_LITTLE = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99']);
const NATIVE_BIG = '1.2.840.10008.1.2.2';

/**
 * Throws what decoding would throw (compressed syntax, unsupported format, too few pixel bytes) without decoding:
 * a series is checked slice by slice before its volume is allocated.
 */
export function checkSlicePixels(source: string, byteArray: Uint8Array, element: dicomParser.Element, f: PixelFormat): void {
  const bigEndian = f.transferSyntax === NATIVE_BIG;
  if (element.encapsulatedPixelData || (!bigEndian && !NATIVE_LITTLE.has(f.transferSyntax))) {
    throw new Error(
      `${source}: compressed transfer syntax ${f.transferSyntax} is not supported; ` +
        'convert the series to uncompressed first (e.g. `dcmdjpeg` or `gdcmconv --raw`)',
    );
  }
  if (f.samplesPerPixel !== 1) throw new Error(`${source}: ${f.samplesPerPixel} samples per pixel; only greyscale images are supported`);
  if (![8, 16, 32].includes(f.bitsAllocated)) throw new Error(`${source}: BitsAllocated ${f.bitsAllocated} is not supported`);
  if (f.bitsStored < 1 || f.bitsStored > f.bitsAllocated) throw new Error(`${source}: BitsStored ${f.bitsStored} is invalid`);
  const n = f.rows * f.columns;
  const bytesPer = f.bitsAllocated / 8;
  // The element's length is what the file claims; the bytes actually present after its offset can be fewer.
  const present = Math.min(element.length, byteArray.length - element.dataOffset);
  if (present < n * bytesPer) {
    throw new Error(`${source}: PixelData has ${Math.max(0, present)} bytes, ${f.rows}x${f.columns} at ${f.bitsAllocated} bits needs ${n * bytesPer}`);
  }
  if (!Number.isFinite(f.slope) || !Number.isFinite(f.intercept)) {
    throw new Error(`${source}: RescaleSlope ${f.slope} / RescaleIntercept ${f.intercept} (0028,1053 / 0028,1052) are not finite numbers`);
  }
}

/**
 * Stored values -> rescaled Float32 (HU for CT). Only native transfer syntaxes: compressed files get an error that
 * says how to convert them. Stored values are masked/sign-extended to BitsStored, as the standard defines them.
 */
export function decodeSlicePixels(
  source: string,
  byteArray: Uint8Array,
  element: dicomParser.Element,
  f: PixelFormat,
): Float32Array {
  checkSlicePixels(source, byteArray, element, f);
  const bigEndian = f.transferSyntax === NATIVE_BIG;
  const n = f.rows * f.columns;
  const bytesPer = f.bitsAllocated / 8;
  const view = new DataView(byteArray.buffer, byteArray.byteOffset + element.dataOffset, n * bytesPer);
  const shift = 32 - f.bitsStored;
  const signed = f.pixelRepresentation === 1;
  const mask = f.bitsStored === 32 ? 0xffffffff : (1 << f.bitsStored) - 1;
  const out = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    let raw: number;
    if (bytesPer === 1) raw = view.getUint8(p);
    else if (bytesPer === 2) raw = view.getUint16(2 * p, !bigEndian);
    else raw = view.getUint32(4 * p, !bigEndian);
    const stored = signed ? (raw << shift) >> shift : (raw & mask) >>> 0;
    out[p] = stored * f.slope + f.intercept;
  }
  return out;
}
