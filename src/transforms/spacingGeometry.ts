import { mapVec3, mulMat4, vec3, vec4, type Axis, type Mat4, type Vec3, type Vec4 } from '../core/volume';
import { allClose, IDENTITY4, inverse4, solve4 } from '../core/linalg4';
import { choleskyUpper3, columnNorms3, mat3, mul3, transpose3, type Mat3 } from '../core/matrix3';

/** MONAI's AFFINE_TOL: spacings this close to the target are kept, affines this close count as unchanged. */
const AFFINE_TOL = 1e-3;

/** How MONAI's SpatialResample maps one voxel grid onto another. */
export interface ResamplePlan {
  readonly inShape: Vec3;
  readonly inAffine: Mat4;
  readonly outShape: Vec3;
  /** Output voxel index -> input voxel index: torch.linalg.solve(inAffine, dstAffine). */
  readonly xform: Mat4;
  /** The output's affine as MONAI's MetaTensor records it: inAffine @ xform. */
  readonly outAffine: Mat4;
  /** MONAI returns the input unchanged when the grids agree within AFFINE_TOL. */
  readonly unchanged: boolean;
}

/** numpy `round`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** MONAI `zoom_affine(affine, scale, diagonal=False)`: keep the rotation (Cholesky/QR split), set the column norms. */
export function zoomAffine(affine: Mat4, scale: Vec3): Mat4 {
  const rzs = mat3(affine);
  const zs = choleskyUpper3(mul3(transpose3(rzs), rzs));
  const rotation = mul3(rzs, inverse3Lapack(zs));
  const s = vec3((i) => Math.sign(zs[i][i]) * Math.abs(scale[i]));
  const m = mul3(rotation, vec3((i) => vec3((j) => (i === j ? s[i] : 0))));
  return [[...m[0], 0], [...m[1], 0], [...m[2], 0], [0, 0, 0, 1]];
}

/** numpy.linalg.inv of the 3x3 Cholesky factor, via the same LAPACK-style solve as the 4x4 case. */
function inverse3Lapack(a: Mat3): Mat3 {
  const inv = inverse4([[...a[0], 0], [...a[1], 0], [...a[2], 0], [0, 0, 0, 1]]);
  return mat3(inv);
}

/**
 * MONAI `compute_shape_offset(shape, in_affine, out_affine)` (scale_extent False): the output grid covers the input's
 * corner voxel centres; its origin is the corner that is smallest in output coordinates (or the centred box when no
 * corner is).
 */
export function computeShapeOffset(shape: Vec3, inAffine: Mat4, outAffine: Mat4): { shape: Vec3; offset: Vec3 } {
  const corners: Vec4[] = [];
  for (const x of [0, shape[0] - 1]) for (const y of [0, shape[1] - 1]) for (const z of [0, shape[2] - 1]) corners.push([x, y, z, 1]);
  const apply4 = (m: Mat4, c: Vec4): Vec4 => vec4((r) => m[r][0] * c[0] + m[r][1] * c[1] + m[r][2] * c[2] + m[r][3] * c[3]);
  // A point without its homogeneous 1: rows 0-2 only; the "+ 0" (the missing fourth term) turns -0 into 0, as before.
  const apply3 = (m: Mat4, c: Vec3): Vec3 => vec3((r) => m[r][0] * c[0] + m[r][1] * c[1] + m[r][2] * c[2] + 0);
  const world = corners.map((c) => apply4(inAffine, c));
  const inv = inverse4(outAffine);
  const out = world.map((w) => apply4(inv, w));
  const outShape = vec3((a) => {
    const v = out.map((o) => o[a] / o[3]);
    return roundHalfEven(Math.max(...v) - Math.min(...v) + 1);
  });
  const points = world.map((w) => ({ world: w, dist: apply3(inv, [w[0], w[1], w[2]]) }));
  for (const { world: w, dist } of points) {
    const minCorner = vec3((a) => Math.min(...points.map((p) => p.dist[a] - dist[a])));
    if (minCorner.every((v) => Math.abs(v) <= 1e-8)) return { shape: outShape, offset: [w[0], w[1], w[2]] };
  }
  const inCentre = apply3(inAffine, [shape[0] / 2, shape[1] / 2, shape[2] / 2]);
  const outHalf = apply3(outAffine, [outShape[0] / 2, outShape[1] / 2, outShape[2] / 2]);
  return { shape: outShape, offset: vec3((a) => inCentre[a] + inAffine[a][3] - outHalf[a]) };
}

/** MONAI `spatial_resample`'s geometry: the index mapping and the affine it records, for a given target grid. */
export function planResample(inShape: Vec3, inAffine: Mat4, dstAffine: Mat4, outShape: Vec3): ResamplePlan {
  const xform = solve4(inAffine, dstAffine);
  const sameShape = outShape.every((n, i) => n === inShape[i]);
  const unchanged = sameShape && (allClose(inAffine, dstAffine, AFFINE_TOL) || allClose(xform, IDENTITY4, AFFINE_TOL));
  return { inShape, inAffine, outShape, xform, outAffine: unchanged ? inAffine : mulMat4(inAffine, xform), unchanged };
}

/**
 * MONAI `Spacing(pixdim, diagonal=False, scale_extent=False)`: target spacing per axis (an axis already within
 * AFFINE_TOL of it keeps its own), rotation kept, first voxel's world position kept.
 */
export function planSpacing(inShape: Vec3, inAffine: Mat4, pixdim: Vec3): ResamplePlan {
  const current = columnNorms3(mat3(inAffine));
  const target = mapVec3(pixdim, (t, i) => (t - AFFINE_TOL <= current[i] && current[i] <= t + AFFINE_TOL ? current[i] : t));
  const zoomed = zoomAffine(inAffine, target);
  const { shape, offset } = computeShapeOffset(inShape, inAffine, zoomed);
  const row = (r: Axis): Vec4 => [zoomed[r][0], zoomed[r][1], zoomed[r][2], offset[r]];
  return planResample(inShape, inAffine, [row(0), row(1), row(2), [0, 0, 0, 1]], shape);
}

/** The inverse MONAI's Invertd applies: from the resampled grid back onto the original shape and affine. */
export function planInverse(forward: ResamplePlan): ResamplePlan {
  return planResample(forward.outShape, forward.outAffine, forward.inAffine, forward.inShape);
}
