import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { labelColorRgb } from '../../src/core/labelColors';
import { makeVolume, type Mat4, type Vec3, type Volume, type VoxelArray } from '../../src/core/volume';
import { previewPng, windowGrey, writePreviewImage } from '../../src/report/previewImage';
import type { StoredImage } from '../../src/io/readStoredImage';

/** A 20 x 10 x 8 scan, voxels 1 x 2 x 3 mm, index axes along R, A, S: 20 x 20 x 24 mm. */
const SHAPE: Vec3 = [20, 10, 8];
const RAS: Mat4 = [
  [1, 0, 0, -10],
  [0, 2, 0, -10],
  [0, 0, 3, -12],
  [0, 0, 0, 1],
];
/** The same grid with index axis i running to the patient's left. */
const FLIPPED_X: Mat4 = [[-1, 0, 0, 9], RAS[1], RAS[2], RAS[3]];
const at = (i: number, j: number, k: number) => i + SHAPE[0] * (j + SHAPE[1] * k);

const LABEL = 7;
/** HU 40 (grey 128) under the structure, 0 (grey 102) elsewhere; stored as HU + 1024 with scl_inter -1024. */
const HU_IN = 40;
const HU_OUT = 0;

/** A box at large i (the patient's right under RAS), large j (anterior) and mid k: i 14..16, j 6..8, k 3..5. */
function scan(affine: Mat4): { labels: Volume<Uint8Array>; ct: StoredImage } {
  const labels = new Uint8Array(SHAPE[0] * SHAPE[1] * SHAPE[2]);
  const ct = new Int16Array(labels.length).fill(HU_OUT + 1024);
  for (let k = 3; k <= 5; k++) {
    for (let j = 6; j <= 8; j++) {
      for (let i = 14; i <= 16; i++) {
        labels[at(i, j, k)] = LABEL;
        ct[at(i, j, k)] = HU_IN + 1024;
      }
    }
  }
  return { labels: makeVolume(labels, SHAPE, affine), ct: { volume: makeVolume(ct, SHAPE, affine), scaling: { slope: 1, inter: -1024 } } };
}

const blended = (grey: number) => labelColorRgb(LABEL).map((c) => Math.round(0.5 * grey + 0.5 * c));

function decode(png: Buffer) {
  const image = PNG.sync.read(png);
  const pixel = (x: number, y: number) => [...image.data.subarray(4 * (y * image.width + x), 4 * (y * image.width + x) + 3)];
  /** Bounding box [x0, y0, x1, y1] of the pixels of one colour within columns [from, to). */
  const boxOf = (rgb: number[], from: number, to: number) => {
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    for (let y = 0; y < image.height; y++) {
      for (let x = from; x < to; x++) {
        if (pixel(x, y).every((v, c) => v === rgb[c])) box.splice(0, 4, Math.min(box[0]!, x), Math.min(box[1]!, y), Math.max(box[2]!, x), Math.max(box[3]!, y));
      }
    }
    return box;
  };
  return { image, pixel, boxOf };
}

describe('previewImage', () => {
  test('three panels at the physical aspect ratio: pixel = the smallest spacing (1 mm), 20+20+20 x 24 px', () => {
    const { labels, ct } = scan(RAS);
    const { image } = decode(previewPng(labels, ct));
    expect([image.width, image.height]).toEqual([60, 24]); // axial 20 x 20 (R x A), coronal 20 x 24 (R x S), sagittal 20 x 24 (A x S)
    const half: Mat4 = [[0.5, 0, 0, 0], RAS[1], RAS[2], RAS[3]];
    const small = decode(previewPng(makeVolume(labels.data, SHAPE, half), { ...ct, volume: makeVolume(ct.volume.data, SHAPE, half) })).image;
    expect([small.width, small.height]).toEqual([20 + 20 + 40, 48]); // 0.5 mm pixels over 10 x 20 x 24 mm
  });

  test('a large scan is shown with larger pixels, within 1600 px', () => {
    const shape: Vec3 = [1000, 1000, 2];
    const grid: Mat4 = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];
    const { image } = decode(previewPng(makeVolume(new Uint8Array(2e6), shape, grid), { volume: makeVolume(new Int16Array(2e6), shape, grid) }));
    expect(image.width).toBeLessThanOrEqual(1600);
    expect(image.width).toBeGreaterThan(1590);
    expect(image.height).toBe(533); // 1000 mm at 3000/1600 mm per pixel
  });

  test('the structure has its label colour blended at alpha 0.5 over the soft-tissue window; the rest is the window', () => {
    const { labels, ct } = scan(RAS);
    expect([windowGrey(HU_IN), windowGrey(HU_OUT), windowGrey(-1000), windowGrey(1000)]).toEqual([128, 102, 0, 255]);
    const { pixel } = decode(previewPng(labels, ct));
    // Axial panel (rows 2..21): column c shows i = 19 - c, row r shows j = 9 - floor(r / 2) at slice k = 4.
    expect(pixel(4, 2 + 4)).toEqual(blended(128)); // i 15, j 7
    expect(pixel(15, 12)).toEqual([102, 102, 102]);
    expect(pixel(0, 0)).toEqual([0, 0, 0]); // above the axial panel, which is shorter than the others
  });

  test('radiological convention: the patient\'s right on the left, anterior up (axial), superior up, anterior on the left (sagittal)', () => {
    const colour = blended(128);
    const ras = decode(previewPng(scan(RAS).labels, scan(RAS).ct));
    // Under RAS, large i is the patient's right: the structure is in the left half of the axial and coronal panels.
    expect(ras.boxOf(colour, 0, 20)).toEqual([3, 2 + 2, 5, 2 + 7]); // columns 19-16..19-14, rows j 8..6 -> r 2..7
    expect(ras.boxOf(colour, 20, 40)).toEqual([20 + 3, 6, 20 + 5, 14]); // row r shows k = 7 - floor((r + 0.5) / 3): k 5..3 -> r 6..14
    // Sagittal: anterior (large j) on the left, superior up.
    expect(ras.boxOf(colour, 40, 60)).toEqual([40 + 2, 6, 40 + 7, 14]); // column c shows j = 9 - floor(c / 2)
    // The same voxels with i running to the patient's left appear on the image's right.
    const flipped = decode(previewPng(scan(FLIPPED_X).labels, scan(FLIPPED_X).ct));
    expect(flipped.boxOf(colour, 0, 20)).toEqual([14, 4, 16, 9]);
    expect(flipped.boxOf(colour, 20, 40)).toEqual([20 + 14, 6, 20 + 16, 14]);
    expect(flipped.boxOf(colour, 40, 60)).toEqual([40 + 2, 6, 40 + 7, 14]);
  });

  test('voxel axes stored in another order and direction give the same picture', () => {
    // W(a, b, c) = V(i = b, j = c, k = 7 - a): a runs inferior along S, b along R, c along A.
    const { labels, ct } = scan(RAS);
    const shape: Vec3 = [8, 20, 10];
    const affine: Mat4 = [
      [0, 1, 0, -10],
      [0, 0, 2, -10],
      [-3, 0, 0, -12 + 21],
      [0, 0, 0, 1],
    ];
    const permute = <T extends VoxelArray>(data: T, out: T): T => {
      for (let c = 0; c < 10; c++) for (let b = 0; b < 20; b++) for (let a = 0; a < 8; a++) out[a + 8 * (b + 20 * c)] = data[at(b, c, 7 - a)]!;
      return out;
    };
    const w = previewPng(makeVolume(permute(labels.data, new Uint8Array(1600)), shape, affine), {
      volume: makeVolume(permute(ct.volume.data as Int16Array, new Int16Array(1600)), shape, affine),
      scaling: ct.scaling,
    });
    expect(PNG.sync.read(w).data).toEqual(PNG.sync.read(previewPng(labels, ct)).data);
  });

  test('an oblique scan is shown along its nearest axes', () => {
    const c = Math.cos(Math.PI / 6);
    const s = Math.sin(Math.PI / 6);
    const oblique: Mat4 = [[c, -2 * s, 0, 0], [s, 2 * c, 0, 0], RAS[2], RAS[3]];
    const { labels, ct } = scan(oblique);
    const { image, boxOf } = decode(previewPng(labels, ct));
    expect([image.width, image.height]).toEqual([60, 24]);
    expect(boxOf(blended(128), 0, 20)).toEqual([3, 4, 5, 9]);
  });

  test('an empty label map shows the scan\'s centre; a label map off the CT grid is refused', () => {
    const { labels, ct } = scan(RAS);
    const { pixel } = decode(previewPng(makeVolume(new Uint8Array(labels.data.length), SHAPE, RAS), ct));
    // The scan's centre is voxel (9, 4, 3): the coronal plane j = 4 misses the box (j 6..8) that j = 7 would show.
    expect(pixel(20 + 4, 10)).toEqual([102, 102, 102]);
    expect(pixel(4, 6)).toEqual([128, 128, 128]); // the axial plane k = 3 crosses the box: its CT, uncoloured
    expect(() => previewPng(makeVolume(labels.data, SHAPE, FLIPPED_X), ct)).toThrow(/not on the CT's grid/);
  });

  test('writePreviewImage writes a PNG atomically (no temp file left)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-preview-'));
    try {
      const { labels, ct } = scan(RAS);
      const file = path.join(dir, 'preview.png');
      await writePreviewImage(file, labels, ct);
      expect(fs.readdirSync(dir)).toEqual(['preview.png']);
      expect(PNG.sync.read(fs.readFileSync(file)).width).toBe(60);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
