import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import type { Volume } from '../../src/core/volume';
import { writeImage } from '../../src/io';

/** scl_slope and scl_inter: float32 at bytes 112 and 116 of a NIfTI-1 header. */
const SCL_SLOPE = 112;

/**
 * Writes `stored` as an int16 NIfTI whose values are stored x slope + inter (the writer itself always writes 1 / 0):
 * a CT as scanners' converters store it.
 */
export async function writeScaledInt16Nifti(file: string, stored: Volume<Int16Array>, slope: number, inter: number): Promise<void> {
  const plain = `${file}.plain.nii`;
  await writeImage(plain, stored);
  const bytes = fs.readFileSync(plain);
  fs.rmSync(plain);
  bytes.writeFloatLE(slope, SCL_SLOPE);
  bytes.writeFloatLE(inter, SCL_SLOPE + 4);
  fs.writeFileSync(file, file.endsWith('.gz') ? zlib.gzipSync(bytes) : bytes);
}
