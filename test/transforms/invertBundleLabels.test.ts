import { invertLabels, undoOrientation, undoSpacingNearest } from '../../src/transforms';
import { makeVolume } from '../../src/core/volume';
import { AFFINES } from '../io/volumeCases';
import { preprocessWholeBody } from '../../src/apps/totalseg/bundleRecipe';

describe('invertBundleLabels', () => {
  it.each(AFFINES)('%s: the one-pass inverse equals undoSpacingNearest then undoOrientation', (_name, affine) => {
    const shape = [23, 17, 11] as const;
    const image = makeVolume(new Float32Array(23 * 17 * 11).map((_, i) => (i * 37) % 1000), shape, affine);
    const pre = preprocessWholeBody(image, 0.7);
    const labels = makeVolume(new Uint8Array(pre.volume.data.length).map((_, i) => (i * 13) % 105), pre.volume.shape, pre.volume.affineRas);
    const oneStep = invertLabels(labels, pre.inverse);
    const twoSteps = undoOrientation(undoSpacingNearest(labels, pre.inverse.spacing), pre.inverse.orientation);
    expect(oneStep.shape).toEqual(shape);
    expect(oneStep.affineRas).toEqual(affine);
    expect(twoSteps.affineRas).toEqual(affine);
    expect(Buffer.compare(Buffer.from(oneStep.data), Buffer.from(twoSteps.data))).toBe(0);
  });
});
