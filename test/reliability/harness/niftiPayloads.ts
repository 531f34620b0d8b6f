import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeImage } from '../../../src/io';
import { makeVolume, type Mat4, type Vec3 } from '../../../src/core/volume';

/** xorshift32: fast, seedable, so every payload is distinct and reproducible. */
function xorshift(seed: number): () => number {
  let x = Math.imul(seed | 0, 2654435761) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>>= 0);
  };
}

/**
 * Image and label files (.nii) on one voxel grid, as upload bodies: the header the project's writer makes, voxels
 * drawn per seed, so two writes never carry the same bytes and a mix-up or a torn file shows in a byte comparison.
 */
export class NiftiPayloads {
  private constructor(
    readonly shape: Vec3,
    private readonly image: Buffer,
    private readonly label: Buffer,
  ) {}

  static async create(dir: string, shape: Vec3, spacingMm: number): Promise<NiftiPayloads> {
    const affine: Mat4 = [
      [spacingMm, 0, 0, 0],
      [0, spacingMm, 0, 0],
      [0, 0, spacingMm, 0],
      [0, 0, 0, 1],
    ];
    const n = shape[0] * shape[1] * shape[2];
    fs.mkdirSync(dir, { recursive: true });
    const imageFile = path.join(dir, `grid-${shape.join('x')}-image.nii`);
    const labelFile = path.join(dir, `grid-${shape.join('x')}-label.nii`);
    await writeImage(imageFile, makeVolume(new Int16Array(n), shape, affine));
    await writeImage(labelFile, makeVolume(new Uint8Array(n), shape, affine));
    return new NiftiPayloads(shape, fs.readFileSync(imageFile), fs.readFileSync(labelFile));
  }

  /** CT-like int16 voxels (-1024..3071 HU). */
  imageBytes(seed: number): Buffer {
    const out = Buffer.from(this.image);
    const offset = voxOffset(out);
    const rand = xorshift(seed);
    for (let p = offset; p + 1 < out.length; p += 2) out.writeInt16LE((rand() % 4096) - 1024, p);
    return out;
  }

  /** uint8 label values 0..4. */
  labelBytes(seed: number): Buffer {
    const out = Buffer.from(this.label);
    const offset = voxOffset(out);
    const rand = xorshift(seed ^ 0x5bd1e995);
    for (let p = offset; p < out.length; p++) out[p] = rand() % 5;
    return out;
  }
}

/** NIfTI-1 `vox_offset` (float32 at byte 108). */
function voxOffset(nii: Buffer): number {
  if (nii.readInt32LE(0) !== 348) throw new Error('expected a little-endian NIfTI-1 file');
  return nii.readFloatLE(108);
}
