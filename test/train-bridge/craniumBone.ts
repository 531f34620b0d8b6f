import { readImage } from '../../src/io';
import { makeVolume } from '../../src/core/volume';
import { TrainPair, preprocessTrainPair } from '../../src/train-bridge/trainPreprocess';
import { oracleFile } from '../helpers/oracle';

/** The learning tests' pair: the oracle's real head CT with bone (HU > 300) as class 1, through the training transforms. */
export async function craniumBonePair(spacingMm: number, kDivisible: number): Promise<TrainPair> {
  const ct = (await readImage(oracleFile('cranium_ct.nii.gz'))).volume;
  const bone = makeVolume(Uint8Array.from(ct.data, (hu) => (hu > 300 ? 1 : 0)), ct.shape, ct.affineRas);
  return preprocessTrainPair(ct, bone, { spacingMm, kDivisible: [kDivisible, kDivisible, kDivisible] });
}
