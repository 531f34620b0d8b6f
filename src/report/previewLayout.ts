import { AXES, spacingOf, type Axis, type Vec3, type Volume, type VoxelArray } from '../core/volume';
import { ioOrientation } from '../transforms';

/** World axes, RAS. */
const R = 0;
const A = 1;
const S = 2;

/** One image axis of a panel: the voxel axis it walks and, per pixel, the voxel index under it. */
export interface DisplayAxis {
  readonly voxelAxis: Axis;
  readonly index: Int32Array;
}

export interface Panel {
  readonly name: 'axial' | 'coronal' | 'sagittal';
  /** The voxel axis across the panel's plane and the slice shown. */
  readonly sliceAxis: Axis;
  readonly slice: number;
  readonly columns: DisplayAxis;
  readonly rows: DisplayAxis;
}

export interface PreviewLayout {
  /** Axial, coronal, sagittal, left to right. */
  readonly panels: readonly [Panel, Panel, Panel];
  readonly width: number;
  readonly height: number;
  /** Side of a (square) pixel. */
  readonly pixelMm: number;
}

/** The image stays within this many pixels each way, whatever the scan's extent. */
export const MAX_PREVIEW_SIDE = 1600;

/**
 * Three orthogonal planes through `centre` (a voxel index) in the radiological convention, at the physical aspect
 * ratio. Each voxel axis is shown along the world axis nearest to it (nibabel's io_orientation), so an oblique scan
 * is shown on its own grid, unresampled. Every image axis runs against its world axis: columns run from the
 * patient's right to left (axial, coronal) or from anterior to posterior (sagittal), rows from anterior to
 * posterior (axial) or superior to inferior (coronal, sagittal).
 */
export function previewLayout(grid: Pick<Volume<VoxelArray>, 'shape' | 'affineRas'>, centre: Vec3): PreviewLayout {
  const orientation = ioOrientation(grid.affineRas);
  const spacing = spacingOf(grid.affineRas);
  const along = (w: Axis): Axis => AXES.find((p) => orientation[p].worldAxis === w) ?? w; // io_orientation uses each world axis once
  const extent = (w: Axis) => grid.shape[along(w)] * spacing[along(w)];
  const pixelMm = Math.max(Math.min(...spacing), (2 * extent(R) + extent(A)) / MAX_PREVIEW_SIDE, Math.max(extent(A), extent(S)) / MAX_PREVIEW_SIDE);
  const axis = (w: Axis): DisplayAxis => {
    const p = along(w);
    const n = grid.shape[p];
    const pixels = Math.max(1, Math.round(extent(w) / pixelMm));
    const index = new Int32Array(pixels);
    for (let t = 0; t < pixels; t++) {
      const u = Math.floor(((t + 0.5) * n) / pixels); // nearest neighbour, counted from the world axis' far end
      index[t] = orientation[p].flip ? u : n - 1 - u;
    }
    return { voxelAxis: p, index };
  };
  const panel = (name: Panel['name'], across: Axis, columns: Axis, rows: Axis): Panel => ({ name, sliceAxis: along(across), slice: centre[along(across)], columns: axis(columns), rows: axis(rows) });
  const panels = [panel('axial', S, R, A), panel('coronal', A, R, S), panel('sagittal', R, A, S)] as const;
  return {
    panels,
    width: panels.reduce((w, p) => w + p.columns.index.length, 0),
    height: Math.max(...panels.map((p) => p.rows.index.length)),
    pixelMm,
  };
}
