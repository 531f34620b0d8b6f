import { ioOrientation, orientToRas, undoOrientation } from '../../src/transforms';
import { makeVolume, type Mat4 } from '../../src/core/volume';
import { maxAbsDiff } from '../helpers/oracle';
import { AFFINE_OF, AFFINES } from '../io/volumeCases';

const SHAPE = [5, 4, 3] as const;

function world(a: Mat4, i: number, j: number, k: number): number[] {
  return a.slice(0, 3).map((row) => row[0] * i + row[1] * j + row[2] * k + row[3]);
}

describe('orientToRas (MONAI Orientationd axcodes RAS)', () => {
  it.each(AFFINES)('%s: axes increase along R, A, S and every voxel keeps its world position', (_name, affine) => {
    const n = SHAPE[0] * SHAPE[1] * SHAPE[2];
    const input = makeVolume(Float32Array.from({ length: n }, (_, i) => i), SHAPE, affine);
    const { volume, record } = orientToRas(input);
    expect(ioOrientation(volume.affineRas).map((a) => [a.worldAxis, a.flip])).toEqual([[0, false], [1, false], [2, false]]);
    const [nx, ny, nz] = volume.shape;
    for (let k = 0; k < nz; k++) for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
      const src = volume.data[i + nx * (j + ny * k)]!; // inside the shape
      const [si, sj, sk] = [src % SHAPE[0], Math.floor(src / SHAPE[0]) % SHAPE[1], Math.floor(src / (SHAPE[0] * SHAPE[1]))];
      const a = world(volume.affineRas, i, j, k);
      const b = world(affine, si, sj, sk);
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-9);
    }
    const back = undoOrientation(volume, record);
    expect(back.shape).toEqual(SHAPE);
    expect(back.affineRas).toEqual(affine);
    expect(Array.from(back.data)).toEqual(Array.from(input.data));
  });

  it('computes the affine as nibabel inv_ornt_aff does (LPS CT: origin moves to the far corner)', () => {
    const affine: Mat4 = [[-0.5, 0, 0, 10], [0, -0.5, 0, 20], [0, 0, 2, 30], [0, 0, 0, 1]];
    const { volume } = orientToRas(makeVolume(new Uint8Array(60), SHAPE, affine));
    expect(volume.affineRas).toEqual([[0.5, 0, 0, 8], [0, 0.5, 0, 18.5], [0, 0, 2, 30], [0, 0, 0, 1]]);
    expect(volume.data).toBeInstanceOf(Uint8Array);
  });

  it('returns an RAS input untouched', () => {
    const input = makeVolume(new Float32Array(60), SHAPE, AFFINE_OF.identity);
    expect(orientToRas(input).volume).toBe(input);
  });

  it('refuses to undo onto a volume of another shape', () => {
    const { record } = orientToRas(makeVolume(new Float32Array(60), SHAPE, AFFINE_OF['permuted PSR']));
    expect(() => undoOrientation(makeVolume(new Float32Array(60), SHAPE, AFFINE_OF.identity), record)).toThrow(/not the reoriented shape/);
  });

});
