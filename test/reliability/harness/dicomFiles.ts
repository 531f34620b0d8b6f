import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import * as dcmjs from 'dcmjs';
import { datasetToPart10, newUid } from '../../../src/dicom/part10';
import { writeCtSeries } from '../../helpers/writeCtSeries';
import { makeVolume, type Mat4, type Vec3 } from '../../../src/core/volume';
import { zerosDeflated } from './rawZip';

/**
 * DICOM files for hostile cases: a real CT series from the project's writer, edited one attribute at a time in
 * memory, and byte-level files no writer makes (deflated bombs, endless nesting, lengths past the end).
 */
export interface DicomFile {
  readonly name: string;
  readonly bytes: Buffer;
}

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const EXPLICIT_LITTLE = '1.2.840.10008.1.2.1';
export const DEFLATED_EXPLICIT_LITTLE = '1.2.840.10008.1.2.1.99';

/** 10 x 8 voxels per slice, 0.8 x 0.7 mm, slices 2.5 mm apart; values i + 10 j + 100 k - 1000. */
export const SERIES_AFFINE: Mat4 = [
  [-0.8, 0, 0, 12.5],
  [0, -0.7, 0, -20],
  [0, 0, 2.5, 30],
  [0, 0, 0, 1],
];

function indexVolume(shape: Vec3, affine: Mat4) {
  const [nx, ny, nz] = shape;
  const data = new Float32Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data[i + nx * (j + ny * k)] = i + 10 * j + 100 * k - 1000;
  return makeVolume(data, shape, affine);
}

/** A CT series as written to disk by `writeCtSeries`, read back as named file bytes (k order). */
export function ctSeries(shape: Vec3 = [10, 8, 5], affine: Mat4 = SERIES_AFFINE, seriesDescription = 'hostile test series'): DicomFile[] {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-dicom-files-'));
  try {
    const written = writeCtSeries(indexVolume(shape, affine), path.join(root, 'series'), { seriesDescription });
    return written.files.map((f) => ({ name: path.basename(f), bytes: fs.readFileSync(f) }));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

/** The file with its naturalized dataset changed by `edit`, rewritten (optionally under another transfer syntax). */
export function editDicom(file: DicomFile, edit: (ds: dcmjs.NaturalDataset) => void, transferSyntax?: string): DicomFile {
  const b = file.bytes;
  const dict = dcmjs.data.DicomMessage.readFile(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  edit(ds);
  return { name: file.name, bytes: datasetToPart10(ds, transferSyntax) };
}

/** Slice `k` of a series; throws when the series has no slice `k`. */
export function sliceAt(files: readonly DicomFile[], k: number): DicomFile {
  const file = files[k];
  if (file === undefined) throw new RangeError(`no slice ${k} in a series of ${files.length}`);
  return file;
}

/** A copy of the series with slice `k` edited by `editDicom`. */
export function editSlice(files: readonly DicomFile[], k: number, edit: (ds: dcmjs.NaturalDataset) => void, transferSyntax?: string): DicomFile[] {
  const edited = editDicom(sliceAt(files, k), edit, transferSyntax);
  return files.map((f, n) => (n === k ? edited : f));
}

/** Every slice edited the same way. */
export function editAll(files: readonly DicomFile[], edit: (ds: dcmjs.NaturalDataset, k: number) => void, transferSyntax?: string): DicomFile[] {
  return files.map((f, k) => editDicom(f, (ds) => edit(ds, k), transferSyntax));
}

/** One explicit-VR little-endian element. */
function element(group: number, elem: number, vr: string, value: Buffer): Buffer {
  const long = ['OB', 'OW', 'OF', 'SQ', 'UN', 'UT'].includes(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(elem, 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(value.length, 8);
  else head.writeUInt16LE(value.length, 6);
  return Buffer.concat([head, value]);
}

const ui = (uid: string) => Buffer.from(uid.length % 2 ? `${uid}\0` : uid, 'latin1');

/** Preamble, "DICM", and a file meta group naming `transferSyntax`; the dataset bytes follow as given. */
export function part10(transferSyntax: string, dataset: Buffer): Buffer {
  const meta = Buffer.concat([
    element(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    element(0x0002, 0x0002, 'UI', ui(CT_IMAGE_STORAGE)),
    element(0x0002, 0x0003, 'UI', ui(newUid())),
    element(0x0002, 0x0010, 'UI', ui(transferSyntax)),
    element(0x0002, 0x0012, 'UI', ui('2.25.1')),
  ]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(meta.length);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), element(0x0002, 0x0000, 'UL', length), meta, dataset]);
}

/** A deflated-syntax file whose dataset stream inflates to `inflatedBytes` of zeros (about 1 KB per MiB). */
export function deflatedBomb(inflatedBytes: number): Buffer {
  return Buffer.concat([part10(DEFLATED_EXPLICIT_LITTLE, Buffer.alloc(0)), zerosDeflated(inflatedBytes).data]);
}

/** A valid slice re-encoded under the deflated syntax, with its stream then corrupted half-way. */
export function corruptDeflated(slice: DicomFile): Buffer {
  const dataset = slice.bytes.subarray(datasetStart(slice.bytes));
  const deflated = zlib.deflateRawSync(dataset);
  for (let i = deflated.length >> 1; i < deflated.length; i += 7) deflated[i] = deflated[i]! ^ 0xa5; // i < length
  return Buffer.concat([part10(DEFLATED_EXPLICIT_LITTLE, Buffer.alloc(0)), deflated]);
}

/** Where the dataset starts after the file meta group (its group length says how long the group is). */
function datasetStart(bytes: Buffer): number {
  // 128 preamble + 4 "DICM" + (0002,0000) UL: 8 bytes of element header, 4 of value.
  return 132 + 12 + bytes.readUInt32LE(140);
}

/** `depth` sequences, each holding one item that holds the next: no parser that recurses survives it. */
export function nestedSequences(depth: number): Buffer {
  const open = Buffer.alloc(20);
  open.writeUInt16LE(0x0008, 0);
  open.writeUInt16LE(0x1115, 2);
  open.write('SQ', 4, 'latin1');
  open.writeUInt32LE(0xffffffff, 8);
  open.writeUInt16LE(0xfffe, 12);
  open.writeUInt16LE(0xe000, 14);
  open.writeUInt32LE(0xffffffff, 16);
  const body = Buffer.alloc(open.length * depth);
  for (let d = 0; d < depth; d++) open.copy(body, d * open.length);
  return part10(EXPLICIT_LITTLE, body);
}

/** An element whose 32-bit length runs 4 GB past the end of the file, before any image attribute. */
export function lengthPastTheEnd(): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16LE(0x0008, 0);
  head.writeUInt16LE(0x0005, 2);
  head.write('UN', 4, 'latin1');
  head.writeUInt32LE(0xfffffff0, 8);
  return part10(EXPLICIT_LITTLE, Buffer.concat([head, Buffer.alloc(64)]));
}

/** A DICOMDIR-like directory object: a Part 10 file with no image in it. */
export function directoryObject(): Buffer {
  return datasetToPart10({
    SOPClassUID: '1.2.840.10008.1.3.10',
    SOPInstanceUID: newUid(),
    FileSetID: 'HOSTILE',
    _vrMap: {},
  });
}

export { newUid };
