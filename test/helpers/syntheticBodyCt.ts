import { makeVolume, type Mat4, type Vec3, type Volume } from '../../src/core/volume';

/** A 48 x 40 x 24 scan at 1.5 x 1.5 x 3 mm, rotated 10 degrees about z: a soft-tissue body around a bone, in air. */
export const BODY_SHAPE: Vec3 = [48, 40, 24];
const C = Math.cos(Math.PI / 18);
const S = Math.sin(Math.PI / 18);
export const BODY_AFFINE: Mat4 = [
  [1.5 * C, -1.5 * S, 0, -30],
  [1.5 * S, 1.5 * C, 0, 12],
  [0, 0, 3, -40],
  [0, 0, 0, 1],
];
/** HU = 0.5 x stored - 1024, as the scan is stored. */
export const BODY_SCALING = { slope: 0.5, inter: -1024 } as const;

/** The scan's stored int16 values (soft tissue 10..70 HU, bone 700 HU, air -1000 HU). */
export function syntheticBodyCt(): Volume<Int16Array> {
  const [nx, ny, nz] = BODY_SHAPE;
  const data = new Int16Array(nx * ny * nz);
  for (let k = 0, idx = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, idx++) {
        const body = ((i - 24) / 20) ** 2 + ((j - 20) / 15) ** 2 + ((k - 12) / 14) ** 2;
        const bone = ((i - 28) / 5) ** 2 + ((j - 18) / 5) ** 2 + ((k - 12) / 6) ** 2;
        const hu = bone < 1 ? 700 : body < 1 ? 40 + ((idx * 7919) % 61) - 30 : -1000;
        data[idx] = (hu - BODY_SCALING.inter) / BODY_SCALING.slope;
      }
    }
  }
  return makeVolume(data, BODY_SHAPE, BODY_AFFINE);
}
