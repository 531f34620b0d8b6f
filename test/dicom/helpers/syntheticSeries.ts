import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as dcmjs from 'dcmjs';
import { makeVolume, type Mat4, type Volume } from '../../../src/core/volume';
import { datasetToPart10 } from '../../../src/dicom/part10';

/** A small volume whose every voxel value names its index (HU-like: i + 10 j + 100 k - 1000). */
export function indexVolume(shape: [number, number, number], affineRas: Mat4): Volume<Float32Array> {
  const [nx, ny, nz] = shape;
  const data = new Float32Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data[i + nx * (j + ny * k)] = i + 10 * j + 100 * k - 1000;
  return makeVolume(data, shape, affineRas);
}

export const OBLIQUE_FREE_AFFINE: Mat4 = [
  [-0.8, 0, 0, 12.5],
  [0, -0.7, 0, -20],
  [0, 0, 2.5, 30],
  [0, 0, 0, 1],
];

const created: string[] = [];

/** A fresh folder under the OS temp dir; {@link removeTempDirs} (in afterAll) deletes them all. */
export function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `wbct-${prefix}-`));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Rewrites one DICOM file after `edit` changes its naturalized dataset (meta kept apart). */
export function editDicomFile(file: string, edit: (ds: dcmjs.NaturalDataset) => void, transferSyntax?: string): void {
  const buf = fs.readFileSync(file);
  const dict = dcmjs.data.DicomMessage.readFile(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(dict.dict);
  edit(ds);
  fs.writeFileSync(file, datasetToPart10(ds, transferSyntax));
}
