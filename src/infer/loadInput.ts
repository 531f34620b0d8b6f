import * as fs from 'node:fs/promises';
import { readDicomSeries, type DicomSeriesInfo } from '../dicom';
import { DEFAULT_READ_LIMITS, readImage, type ImageInfo, type ReadLimits } from '../io';
import type { Volume } from '../core/volume';

/** An input scan as the pipeline sees it: HU voxels with their RAS geometry, plus where they came from. */
export interface LoadedInput {
  readonly volume: Volume<Float32Array>;
  /** Set for NIfTI/NRRD input (lets a NIfTI result keep the input's header geometry). */
  readonly imageInfo?: ImageInfo;
  /** Set for DICOM input (lets a SEG / RTSTRUCT reference the source slices). */
  readonly series?: DicomSeriesInfo;
}

export function isDicomInputPath(p: string, isDirectory: boolean): boolean {
  return isDirectory || p.toLowerCase().endsWith('.zip');
}

/** Reads a NIfTI/NRRD file, or a folder / zip holding one DICOM CT series, within the read limits. */
export async function loadInput(file: string, limits: ReadLimits = DEFAULT_READ_LIMITS): Promise<LoadedInput> {
  const stat = await fs.stat(file).catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${file}: ${e.code === 'ENOENT' ? 'no such file or folder' : e.message}`);
  });
  if (isDicomInputPath(file, stat.isDirectory())) {
    const { volume, series } = await readDicomSeries(file, {}, limits);
    return { volume, series };
  }
  const { volume, info } = await readImage(file, { voxels: 'float32', limits });
  return { volume, imageInfo: info };
}
