import * as fs from 'node:fs';
import * as path from 'node:path';
import { flipRasLps, type Axis4, type Vec3, type Volume, type VoxelArray } from '../../src/core/volume';
import { datasetToPart10, dicomDateTime, formatDS, newUid } from '../../src/dicom/part10';

export interface WriteCtSeriesOptions {
  readonly patientName?: string;
  readonly patientId?: string;
  readonly studyInstanceUid?: string;
  readonly seriesInstanceUid?: string;
  readonly frameOfReferenceUid?: string;
  readonly studyDescription?: string;
  readonly seriesDescription?: string;
  readonly seriesNumber?: number;
}

export interface WrittenCtSeries {
  readonly dir: string;
  /** File written for slice k of the volume. */
  readonly files: readonly string[];
  readonly studyInstanceUid: string;
  readonly seriesInstanceUid: string;
  readonly frameOfReferenceUid: string;
  readonly sopInstanceUids: readonly string[];
}

const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';

function column(m: Volume<VoxelArray>['affineRas'], c: Axis4): Vec3 {
  return [m[0][c], m[1][c], m[2][c]];
}

const { round } = Math; // a local alias keeps the per-voxel loop fast under jest's vm context too

/** Stored value = round(HU) - intercept, unsigned 16 bit; intercept = the minimum when it is negative. */
function storedPixels(volume: Volume<VoxelArray>): { pixels: Uint16Array; intercept: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const v of volume.data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const intercept = Math.min(0, Math.floor(min));
  if (round(max) - intercept > 65535) throw new RangeError(`values span ${min}..${max}, more than 16 bits can store`);
  const pixels = Uint16Array.from(volume.data, (v) => round(v) - intercept);
  return { pixels, intercept };
}

/**
 * Writes a volume (values rounded to integer HU) as a single-frame CT Image Storage series, one file per k slice,
 * with the geometry of `affineRas` (converted to LPS). The folder is written under a temporary name and renamed, so it
 * is complete or absent. Meant for test data and exports; the images are marked DERIVED.
 */
export function writeCtSeries(volume: Volume<VoxelArray>, outDir: string, opts: WriteCtSeriesOptions = {}): WrittenCtSeries {
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0) throw new Error(`${outDir}: output folder exists and is not empty`);
  const lps = flipRasLps(volume.affineRas);
  const [ci, cj, ck] = [column(lps, 0), column(lps, 1), column(lps, 2)];
  const [si, sj] = [Math.hypot(...ci), Math.hypot(...cj)];
  const unit = (v: Vec3, n: number): Vec3 => [v[0] / n, v[1] / n, v[2] / n];
  const [row, col] = [unit(ci, si), unit(cj, sj)];
  if (Math.abs(row[0] * col[0] + row[1] * col[1] + row[2] * col[2]) > 1e-6) throw new RangeError('volume i and j axes are not orthogonal; DICOM slices need orthogonal rows and columns');
  const [nx, ny, nz] = volume.shape;
  const { pixels, intercept } = storedPixels(volume);
  const now = dicomDateTime();
  const study = opts.studyInstanceUid ?? newUid();
  const series = opts.seriesInstanceUid ?? newUid();
  const frame = opts.frameOfReferenceUid ?? newUid();
  const tmpDir = `${outDir.replace(/[\\/]+$/, '')}.tmp-${process.pid}-${Date.now()}`;
  fs.mkdirSync(tmpDir, { recursive: true });
  const sopUids: string[] = [];
  const names: string[] = [];
  try {
    for (let k = 0; k < nz; k++) {
      const ipp = ([0, 1, 2] as const).map((a) => lps[a][3] + ck[a] * k);
      const sop = newUid();
      const dataset = {
        SpecificCharacterSet: 'ISO_IR 192',
        ImageType: ['DERIVED', 'SECONDARY', 'AXIAL'],
        SOPClassUID: CT_IMAGE_STORAGE,
        SOPInstanceUID: sop,
        StudyDate: now.date,
        SeriesDate: now.date,
        ContentDate: now.date,
        StudyTime: now.time,
        SeriesTime: now.time,
        ContentTime: now.time,
        AccessionNumber: '',
        Modality: 'CT',
        Manufacturer: 'wbct',
        ReferringPhysicianName: '',
        StudyDescription: opts.studyDescription ?? '',
        SeriesDescription: opts.seriesDescription ?? 'CT written by wbct',
        PatientName: opts.patientName ?? 'Anonymous',
        PatientID: opts.patientId ?? 'WBCT0001',
        PatientBirthDate: '',
        PatientSex: '',
        KVP: '',
        SliceThickness: formatDS(Math.hypot(...ck)),
        PatientPosition: 'HFS',
        Laterality: '',
        StudyInstanceUID: study,
        SeriesInstanceUID: series,
        StudyID: '1',
        SeriesNumber: String(opts.seriesNumber ?? 1),
        AcquisitionNumber: '1',
        InstanceNumber: String(k + 1),
        ImagePositionPatient: ipp.map(formatDS),
        ImageOrientationPatient: [...row, ...col].map(formatDS),
        FrameOfReferenceUID: frame,
        PositionReferenceIndicator: '',
        SamplesPerPixel: 1,
        PhotometricInterpretation: 'MONOCHROME2',
        Rows: ny,
        Columns: nx,
        PixelSpacing: [formatDS(sj), formatDS(si)],
        BitsAllocated: 16,
        BitsStored: 16,
        HighBit: 15,
        PixelRepresentation: 0,
        RescaleIntercept: formatDS(intercept),
        RescaleSlope: '1',
        RescaleType: 'HU',
        PixelData: pixels.slice(k * nx * ny, (k + 1) * nx * ny).buffer,
        _vrMap: { PixelData: 'OW' },
      };
      const name = `CT${String(k + 1).padStart(5, '0')}.dcm`;
      fs.writeFileSync(path.join(tmpDir, name), datasetToPart10(dataset));
      sopUids.push(sop);
      names.push(name);
    }
    if (fs.existsSync(outDir)) fs.rmdirSync(outDir);
    fs.renameSync(tmpDir, outDir);
  } catch (e) {
    fs.rmSync(tmpDir, { recursive: true, force: true });
    throw e;
  }
  return { dir: outDir, files: names.map((n) => path.join(outDir, n)), studyInstanceUid: study, seriesInstanceUid: series, frameOfReferenceUid: frame, sopInstanceUids: sopUids };
}
