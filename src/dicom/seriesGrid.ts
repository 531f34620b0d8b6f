import { gridMismatch } from '../core/gridCheck';
import { flipRasLps, type Mat4, type Volume, type VoxelArray } from '../core/volume';
import { gridAffineLps } from './seriesGeometry';
import type { DicomSeriesInfo } from './seriesInfo';

/** The series' voxel grid in LPS (the affine `readDicomSeries` gave its volume, before the RAS flip). */
export function seriesAffineLps(series: DicomSeriesInfo): Mat4 {
  const first = series.slices[0];
  const last = series.slices.at(-1);
  if (!first || !last) throw new Error(`series ${series.seriesInstanceUid} has no slices`);
  return gridAffineLps(series.imageOrientationPatient, series.pixelSpacing, first.imagePositionPatient, last.imagePositionPatient, series.slices.length);
}

/**
 * Throws unless `volume` lies on the series' grid (same shape; affine equal up to the float32 precision a NIfTI
 * round trip leaves): a SEG or RTSTRUCT must be written from a label map on the source CT's grid, never a resampled one.
 */
export function assertOnSeriesGrid(volume: Volume<VoxelArray>, series: DicomSeriesInfo, what: string): void {
  const grid = { shape: [series.columns, series.rows, series.slices.length] as const, affineRas: flipRasLps(seriesAffineLps(series)) };
  const problem = gridMismatch(grid, volume);
  if (problem) throw new Error(`${what}: the label map is not on the DICOM series' grid: ${problem}; resample it to the CT grid first`);
}
