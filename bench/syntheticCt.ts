import { writeImage } from '../src/io';
import { Mat4, makeVolume } from '../src/core/volume';

/**
 * A CT-sized synthetic scan for benchmarks: a 512x512xN int16 body (elliptic soft tissue, lungs, spine-like bone,
 * air outside at -1000 HU), LPS-stored affine like a DICOM-derived NIfTI, spacing 0.84 x 0.84 x 1.5 mm. At 3 mm it
 * resamples to 144x144x199 and at 1.5 mm to 287x287x397 for N = 397: the bundle README's example sizes.
 */
export async function writeSyntheticCt(file: string, slices = 397): Promise<void> {
  const [nx, ny, nz] = [512, 512, slices];
  const data = new Int16Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        const x = (i - 256) / 200;
        const y = (j - 256) / 140;
        const r = x * x + y * y;
        let hu = -1000;
        if (r < 1) hu = 40 + ((i * 7 + j * 13 + k * 3) % 17) - 8;
        if (r < 1 && Math.abs(x) > 0.15 && Math.abs(x) < 0.7 && y < 0.3 && y > -0.6) hu = -850;
        if ((i - 256) ** 2 + (j - 330) ** 2 < 400) hu = 700;
        data[i + nx * (j + ny * k)] = hu;
      }
    }
  }
  const s = 0.8398438;
  const affine: Mat4 = [
    [-s, 0, 0, 214.5],
    [0, -s, 0, 214.5],
    [0, 0, 1.5, -600],
    [0, 0, 0, 1],
  ];
  await writeImage(file, makeVolume(data, [nx, ny, nz], affine));
}
