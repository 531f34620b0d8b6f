import { gridMismatch } from '../core/gridCheck';
import { flipRasLps, type Mat4, type Volume, type VoxelArray } from '../core/volume';
import { gridAffineLps } from './seriesGeometry';
import type { DicomSeriesInfo } from './seriesInfo';

/** The series' voxel grid in LPS (the affine `readDicomSeries` gave its volume, before the RAS flip). */
export function seriesAffineLps(series: DicomSeriesInfo): Mat4 {
  const n = series.slices.length;
  return gridAffineLps(series.imageOrientationPatient, series.pixelSpacing, series.slices[0].imagePositionPatient, series.slices[n - 1].imagePositionPatient, n);
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
