import * as zlib from 'node:zlib';
import * as dicomParser from 'dicom-parser';
import type { Vec3 } from '../core/volume';
import { DEFAULT_LIMITS, isLimitExceeded, LimitExceededError } from '../core/resourceLimits';
import type { DicomSeriesFields, ImageOrientation } from './seriesInfo';
import { checkSlicePixels, decodeSlicePixels, type PixelFormat } from './decodePixels';

/** The header of one single-frame image file, with a lazy pixel decoder (HU after rescale). */
export interface ParsedSlice extends DicomSeriesFields {
  readonly source: string;
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly imagePositionPatient: Vec3;
  readonly sliceThickness: number | undefined;
  readonly numberOfFrames: number;
  /** ImageType values, upper case (e.g. ORIGINAL, PRIMARY, AXIAL or LOCALIZER). */
  readonly imageType: readonly string[];
  /** Bytes of the inflated copy of a deflated dataset, held until the pixels are decoded (0 for other files). */
  readonly inflatedBytes: number;
  /** Throws what `pixels()` would throw for this file's pixel data, without decoding it. */
  checkPixels(): void;
  /** Stored values times RescaleSlope plus RescaleIntercept, row by row (column index fastest). */
  pixels(): Float32Array;
}

export interface ParseSliceOptions {
  /** Most bytes a deflated dataset may inflate to (default DEFAULT_LIMITS.maxDecompressedBytes). */
  readonly maxInflatedBytes?: number;
}

function inflaterWithin(source: string, maxBytes: number): (bytes: Uint8Array, position: number) => Uint8Array {
  return (bytes, position) => {
    let inflated: Buffer;
    try {
      inflated = zlib.inflateRawSync(bytes.subarray(position), { maxOutputLength: Math.max(1, Math.min(maxBytes, 2 ** 32)) });
    } catch (e) {
      if (e instanceof RangeError || (e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new LimitExceededError('maxDecompressedBytes', maxBytes, `${source}: a deflated DICOM dataset inflating to more than ${maxBytes} bytes`);
      }
      throw new Error(`deflated dataset is corrupt (${(e as Error).message})`);
    }
    const out = new Uint8Array(position + inflated.length);
    out.set(bytes.subarray(0, position));
    out.set(inflated, position);
    return out;
  };
}

/** dicom-parser throws Errors, plain strings, and `{ exception, dataSet }` objects from inside a dataset. */
function parserMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  if (typeof e === 'object' && e !== null && 'exception' in e) return parserMessage(e.exception);
  return String(e);
}

function parserCause(e: unknown): unknown {
  return typeof e === 'object' && e !== null && !(e instanceof Error) && 'exception' in e ? e.exception : e;
}

/** The values of a multi-valued decimal string when it has exactly `count` of them, all finite. */
function numbers(ds: dicomParser.DataSet, tag: string, count: 2): readonly [number, number] | undefined;
function numbers(ds: dicomParser.DataSet, tag: string, count: 3): Vec3 | undefined;
function numbers(ds: dicomParser.DataSet, tag: string, count: 6): ImageOrientation | undefined;
function numbers(ds: dicomParser.DataSet, tag: string, count: number): readonly number[] | undefined {
  if (ds.numStringValues(tag) !== count) return undefined;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = ds.floatString(tag, i);
    if (v === undefined || !Number.isFinite(v)) return undefined;
    out.push(v);
  }
  return out;
}

/** True when the bytes carry the Part 10 "DICM" marker at offset 128. */
export function isPart10(bytes: Uint8Array): boolean {
  return bytes.length > 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/**
 * Parses one DICOM file. Returns undefined for objects that are not a positioned image (SEG, RTSTRUCT, SR, DICOMDIR,
 * images without ImagePositionPatient); throws, naming the file, when a Part 10 file is corrupt.
 */
export function parseSlice(source: string, bytes: Uint8Array, options: ParseSliceOptions = {}): ParsedSlice | undefined {
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes, { inflater: inflaterWithin(source, options.maxInflatedBytes ?? DEFAULT_LIMITS.maxDecompressedBytes) });
  } catch (e) {
    const cause = parserCause(e);
    if (isLimitExceeded(cause)) throw cause;
    throw new Error(`${source}: unreadable DICOM file (${parserMessage(e)})`);
  }
  const str = (tag: string) => (ds.string(tag) ?? '').trim();
  const ipp = numbers(ds, 'x00200032', 3);
  const iop = numbers(ds, 'x00200037', 6);
  const pixelElement = ds.elements.x7fe00010;
  if (!ipp || !iop || !pixelElement) return undefined;
  const ps = numbers(ds, 'x00280030', 2);
  if (!ps || ps[0] <= 0 || ps[1] <= 0) throw new Error(`${source}: image has no valid PixelSpacing (0028,0030)`);
  const rows = ds.uint16('x00280010') ?? 0;
  const columns = ds.uint16('x00280011') ?? 0;
  if (rows < 1 || columns < 1) throw new Error(`${source}: image has no Rows/Columns`);
  const transferSyntax = str('x00020010');
  const format: PixelFormat = {
    transferSyntax,
    bitsAllocated: ds.uint16('x00280100') ?? 0,
    bitsStored: ds.uint16('x00280101') ?? ds.uint16('x00280100') ?? 0,
    pixelRepresentation: ds.uint16('x00280103') ?? 0,
    samplesPerPixel: ds.uint16('x00280002') ?? 1,
    rows,
    columns,
    slope: ds.floatString('x00281053') ?? 1,
    intercept: ds.floatString('x00281052') ?? 0,
  };
  return {
    source,
    sopInstanceUid: str('x00080018'),
    sopClassUid: str('x00080016'),
    seriesInstanceUid: str('x0020000e'),
    seriesDescription: str('x0008103e'),
    seriesNumber: str('x00200011'),
    modality: str('x00080060'),
    frameOfReferenceUid: str('x00200052'),
    studyInstanceUid: str('x0020000d'),
    studyDate: str('x00080020'),
    studyTime: str('x00080030'),
    studyId: str('x00200010'),
    studyDescription: str('x00081030'),
    accessionNumber: str('x00080050'),
    referringPhysicianName: str('x00080090'),
    patientName: str('x00100010'),
    patientId: str('x00100020'),
    patientBirthDate: str('x00100030'),
    patientSex: str('x00100040'),
    rows,
    columns,
    imagePositionPatient: ipp,
    imageOrientationPatient: iop,
    pixelSpacing: ps,
    sliceThickness: ds.floatString('x00180050'),
    numberOfFrames: ds.intString('x00280008') ?? 1,
    imageType: Array.from({ length: ds.numStringValues('x00080008') ?? 0 }, (_, i) => (ds.string('x00080008', i) ?? '').toUpperCase()),
    inflatedBytes: ds.byteArray === bytes ? 0 : ds.byteArray.length,
    // After inflation (deflated syntax) ds.byteArray is the inflated copy, which pixelElement's offset refers to.
    checkPixels: () => checkSlicePixels(source, ds.byteArray, pixelElement, format),
    pixels: () => decodeSlicePixels(source, ds.byteArray, pixelElement, format),
  };
}
