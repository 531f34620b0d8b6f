import { gridMismatch } from '../core/gridCheck';
import { labelColorRgb } from '../core/labelColors';
import { vec3, type Vec3, type Volume, type VoxelArray } from '../core/volume';
import type { StoredImage } from '../io/readStoredImage';
import { writeFileAtomic } from '../util/atomicWrite';
import { encodePng, makeRgbImage, type RgbImage } from './pngWriter';
import { previewLayout } from './previewLayout';

/** Soft-tissue window: width 400 HU around level 40 HU. */
export const PREVIEW_WINDOW = { width: 400, level: 40 } as const;
/** Opacity of a label's colour over the CT. */
export const LABEL_ALPHA = 0.5;

/** The CT value shown as a grey level 0..255. */
export function windowGrey(hu: number): number {
  const lo = PREVIEW_WINDOW.level - PREVIEW_WINDOW.width / 2;
  return Math.round(Math.min(1, Math.max(0, (hu - lo) / PREVIEW_WINDOW.width)) * 255);
}

/** The centre of the bounding box of the voxels labelled != 0, or of the scan when there are none. */
export function foregroundCentre(labels: Volume<VoxelArray>): Vec3 {
  const [nx, ny, nz] = labels.shape;
  const lo = [nx, ny, nz];
  const hi = [-1, -1, -1];
  const lab = labels.data;
  for (let k = 0, idx = 0; k < nz; k++) {
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++, idx++) {
        if (lab[idx] === 0) continue;
        if (i < lo[0]!) lo[0] = i;
        if (i > hi[0]!) hi[0] = i;
        if (j < lo[1]!) lo[1] = j;
        if (j > hi[1]!) hi[1] = j;
        if (k < lo[2]!) lo[2] = k;
        hi[2] = k;
      }
    }
  }
  const empty = hi[0] === -1;
  return vec3((a) => Math.floor(empty ? (labels.shape[a] - 1) / 2 : (lo[a]! + hi[a]!) / 2));
}

/**
 * Axial, coronal and sagittal planes through the labelled body, side by side (see `previewLayout` for the display
 * convention): the CT in a soft-tissue window, each label's colour (`labelColorRgb`) blended over it at LABEL_ALPHA.
 * Panels are centred vertically on black.
 */
export function renderPreview(labels: Volume<VoxelArray>, ct: StoredImage): RgbImage {
  const mismatch = gridMismatch(ct.volume, labels);
  if (mismatch) throw new RangeError(`preview: the label map is not on the CT's grid (${mismatch})`);
  const layout = previewLayout(labels, foregroundCentre(labels));
  const image = makeRgbImage(layout.width, layout.height);
  const strides: Vec3 = [1, labels.shape[0], labels.shape[0] * labels.shape[1]];
  const { slope, inter } = ct.scaling ?? { slope: 1, inter: 0 };
  const colours = new Map<number, readonly [number, number, number]>();
  const rgb = image.rgb;
  let x0 = 0;
  for (const panel of layout.panels) {
    const { columns, rows } = panel;
    const y0 = Math.floor((layout.height - rows.index.length) / 2);
    const base = panel.slice * strides[panel.sliceAxis];
    for (let r = 0; r < rows.index.length; r++) {
      const rowBase = base + rows.index[r]! * strides[rows.voxelAxis];
      for (let c = 0; c < columns.index.length; c++) {
        const idx = rowBase + columns.index[c]! * strides[columns.voxelAxis];
        const grey = windowGrey(ct.volume.data[idx]! * slope + inter);
        const label = labels.data[idx]!;
        const out = 3 * ((y0 + r) * layout.width + x0 + c);
        if (label === 0) {
          rgb.fill(grey, out, out + 3);
          continue;
        }
        let colour = colours.get(label);
        if (!colour) colours.set(label, (colour = labelColorRgb(label)));
        for (let ch = 0; ch < 3; ch++) rgb[out + ch] = Math.round((1 - LABEL_ALPHA) * grey + LABEL_ALPHA * colour[ch]!);
      }
    }
    x0 += columns.index.length;
  }
  return image;
}

/** The preview as PNG bytes. */
export function previewPng(labels: Volume<VoxelArray>, ct: StoredImage): Buffer {
  return encodePng(renderPreview(labels, ct));
}

/** Renders the preview and writes it as a PNG, atomically. */
export async function writePreviewImage(file: string, labels: Volume<VoxelArray>, ct: StoredImage): Promise<void> {
  await writeFileAtomic(file, previewPng(labels, ct));
}
