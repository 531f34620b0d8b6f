import { flipRasLps, type Mat4, type Volume, type VoxelArray } from '../infer/volume';
import { gridAffineLps } from './seriesGeometry';
import type { DicomSeriesInfo } from './seriesInfo';

/** The series' voxel grid in LPS (the affine `readDicomSeries` gave its volume, before the RAS flip). */
export function seriesAffineLps(series: DicomSeriesInfo): Mat4 {
  const n = series.slices.length;
  return gridAffineLps(series.imageOrientationPatient, series.pixelSpacing, series.slices[0].imagePositionPatient, series.slices[n - 1].imagePositionPatient, n);
}

/**
 * Throws unless `volume` lies on the series' grid (same shape, affine within 1e-3 mm): a SEG or RTSTRUCT must be
 * written from a label map on the source CT's grid, never from a resampled one.
 */
export function assertOnSeriesGrid(volume: Volume<VoxelArray>, series: DicomSeriesInfo, what: string): void {
  const [nx, ny, nz] = volume.shape;
  if (nx !== series.columns || ny !== series.rows || nz !== series.slices.length) {
    throw new Error(`${what}: label map shape [${volume.shape.join(', ')}] differs from the series grid [${series.columns}, ${series.rows}, ${series.slices.length}]`);
  }
  const expected = flipRasLps(seriesAffineLps(series));
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 4; c++) {
      if (Math.abs(volume.affineRas[r][c] - expected[r][c]) > 1e-3) {
        throw new Error(`${what}: label map affine differs from the series geometry at [${r}][${c}] (${volume.affineRas[r][c]} vs ${expected[r][c]}); resample it to the CT grid first`);
      }
    }
  }
}
