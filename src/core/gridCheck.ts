import { AXES, AXES4, type Mat4, type Vec3 } from './volume';

export interface VoxelGrid {
  readonly shape: Vec3;
  readonly affineRas: Mat4;
}

/** Relative tolerance on affine entries: NIfTI stores them as float32, NRRD as decimal text. */
const AFFINE_TOLERANCE = 1e-4;

/** Why `label` does not lie on `image`'s voxel grid, or null when it does. */
export function gridMismatch(image: VoxelGrid, label: VoxelGrid): string | null {
  if (image.shape.some((n, i) => n !== label.shape[i])) {
    return `label shape [${label.shape.join(', ')}] differs from image shape [${image.shape.join(', ')}]`;
  }
  for (const r of AXES) {
    for (const c of AXES4) {
      const a = image.affineRas[r][c];
      const b = label.affineRas[r][c];
      if (Math.abs(a - b) > AFFINE_TOLERANCE * (1 + Math.max(Math.abs(a), Math.abs(b)))) {
        const what = c === 3 ? 'origin' : 'spacing/direction';
        return `label ${what} differs from the image's (affine[${r}][${c}] ${b} vs ${a})`;
      }
    }
  }
  return null;
}
