import { Niivue, NVImage, SHOW_RENDER, SLICE_TYPE } from '@niivue/niivue';

/** NiiVue's colour map shape (its type is not exported). */
interface ColorMap {
  R: number[];
  G: number[];
  B: number[];
  A: number[];
  I: number[];
  labels: string[];
}
import type { LabelTable } from './labelTable.js';

/** CT window presets (level, width) in HU, as radiology workstations name them. */
export const WINDOWS = {
  'soft tissue': { level: 40, width: 400 },
  lung: { level: -600, width: 1500 },
  bone: { level: 400, width: 1800 },
  brain: { level: 40, width: 80 },
} as const;
export type WindowName = keyof typeof WINDOWS;

export type Tool = 'navigate' | 'draw' | 'erase' | 'fill';
export type View = 'axial' | 'coronal' | 'sagittal' | 'multiplanar';

const VIEWS: Record<View, SLICE_TYPE> = { axial: SLICE_TYPE.AXIAL, coronal: SLICE_TYPE.CORONAL, sagittal: SLICE_TYPE.SAGITTAL, multiplanar: SLICE_TYPE.MULTIPLANAR };

export interface HoverInfo {
  readonly mm: readonly [number, number, number];
  readonly hu: number;
  readonly label: number;
}

/**
 * NiiVue showing one CT with its label map as the drawing layer: the label map is what the annotator edits, so what
 * is shown, what is drawn and what is submitted are one bitmap. NiiVue keeps that bitmap in RAS voxel order and
 * writes it back in the CT's own voxel order and header when saved.
 */
export class Viewer {
  private readonly nv: Niivue;
  private hidden = new Set<number>();
  private tool: Tool = 'navigate';
  private pen = 1;

  private constructor(
    nv: Niivue,
    private readonly labels: LabelTable,
  ) {
    this.nv = nv;
  }

  /** Radiological convention in every view: the patient's right on the screen's left, and the nose left in sagittal (as the previews). */
  static async attach(canvas: HTMLCanvasElement, labels: LabelTable, onHover: (h: HoverInfo) => void): Promise<Viewer> {
    const nv = new Niivue({ backColor: [0.05, 0.05, 0.07, 1], isRadiologicalConvention: true, dragAndDropEnabled: false, show3Dcrosshair: false, crosshairColor: [1, 0.85, 0, 0.6], multiplanarShowRender: SHOW_RENDER.NEVER, sagittalNoseLeft: true, logLevel: 'error' });
    await nv.attachToCanvas(canvas);
    const viewer = new Viewer(nv, labels);
    canvas.addEventListener('mousemove', (event) => {
      const rect = canvas.getBoundingClientRect();
      const dpr = window.devicePixelRatio || 1;
      const info = viewer.hoverAt([(event.clientX - rect.left) * dpr, (event.clientY - rect.top) * dpr]);
      if (info) onHover(info);
    });
    return viewer;
  }

  get hasImage(): boolean {
    return this.nv.back !== null && this.nv.volumes.length > 0;
  }

  async openCt(url: string, name: string, headers: Record<string, string>): Promise<void> {
    this.nv.closeDrawing();
    await this.nv.loadVolumes([{ url, name, headers, colormap: 'gray', cal_min: -160, cal_max: 240 }]);
    this.setWindow('soft tissue');
    this.nv.createEmptyDrawing();
    this.applyLabelColours();
    this.setTool(this.tool);
  }

  /** Shows (and makes editable) a label map on the CT's grid; false when NiiVue finds its dimensions differ. */
  async showLabels(bytes: ArrayBuffer, name: string): Promise<boolean> {
    const image = await NVImage.loadFromUrl({ url: name, name, buffer: bytes });
    const ok = this.nv.loadDrawing(image);
    this.applyLabelColours();
    return ok;
  }

  clearLabels(): void {
    this.nv.createEmptyDrawing();
    this.applyLabelColours();
  }

  setWindow(name: WindowName): void {
    const volume = this.nv.volumes[0];
    if (!volume) return;
    const { level, width } = WINDOWS[name];
    volume.cal_min = level - width / 2;
    volume.cal_max = level + width / 2;
    this.nv.updateGLVolume();
  }

  setView(view: View): void {
    this.nv.setSliceType(VIEWS[view]);
  }

  setOpacity(opacity: number): void {
    this.nv.setDrawOpacity(opacity);
  }

  setHidden(label: number, hidden: boolean): void {
    if (hidden) this.hidden.add(label);
    else this.hidden.delete(label);
    this.applyLabelColours();
  }

  setTool(tool: Tool, label = this.pen): void {
    this.tool = tool;
    this.pen = label;
    this.nv.setDrawingEnabled(tool !== 'navigate');
    if (tool === 'erase') this.nv.setPenValue(0, false);
    else if (tool !== 'navigate') this.nv.setPenValue(label, tool === 'fill');
  }

  setPenSize(voxels: number): void {
    this.nv.opts.penSize = voxels;
  }

  undo(): void {
    this.nv.drawUndo();
  }

  /** Where the crosshair is, in RAS millimetres. */
  crosshairMm(): [number, number, number] {
    const mm = this.nv.frac2mm(this.nv.scene.crosshairPos);
    return [mm[0], mm[1], mm[2]];
  }

  /** Centres the crosshair on a point in RAS millimetres (a structure's centroid). */
  goTo(mm: readonly [number, number, number]): void {
    this.nv.scene.crosshairPos = this.nv.mm2frac([mm[0], mm[1], mm[2]]);
    this.nv.drawScene();
    this.nv.createOnLocationChange();
  }

  /** The label map as an uncompressed NIfTI on the CT's grid and header (NiiVue's writer), for `PUT /datastore/label`. */
  async labelFile(): Promise<Uint8Array<ArrayBuffer>> {
    const bytes = await this.nv.saveImage({ filename: '', isSaveDrawing: true, volumeByIndex: 0 });
    if (!(bytes instanceof Uint8Array)) throw new Error('no label map to save: open an image first');
    return new Uint8Array(bytes);
  }

  /** Voxel count per label value in the shown label map (for the structure list). */
  labelCounts(): Map<number, number> {
    const counts = new Map<number, number>();
    const bitmap = this.nv.drawBitmap;
    if (!bitmap) return counts;
    const histogram = new Float64Array(256);
    for (let i = 0; i < bitmap.length; i++) histogram[bitmap[i]!]!++;
    histogram.forEach((n, label) => {
      if (label > 0 && n > 0) counts.set(label, n);
    });
    return counts;
  }

  /** The RAS millimetre centre of a label's voxels in the shown map, or null when it has none. */
  labelCentre(label: number): [number, number, number] | null {
    const back = this.nv.back;
    const bitmap = this.nv.drawBitmap;
    if (!back?.dimsRAS || !bitmap) return null;
    const [nx, ny] = [back.dimsRAS[1]!, back.dimsRAS[2]!];
    let [sx, sy, sz, n] = [0, 0, 0, 0];
    for (let i = 0; i < bitmap.length; i++) {
      if (bitmap[i] !== label) continue;
      sx += i % nx;
      sy += Math.floor(i / nx) % ny;
      sz += Math.floor(i / (nx * ny));
      n++;
    }
    if (n === 0) return null;
    const dims = back.dimsRAS;
    const frac: [number, number, number] = [(sx / n + 0.5) / dims[1]!, (sy / n + 0.5) / dims[2]!, (sz / n + 0.5) / dims[3]!];
    const mm = this.nv.frac2mm(frac);
    return [mm[0], mm[1], mm[2]];
  }

  /** What lies under a canvas pixel (device pixels): RAS mm, the CT's HU and the label; null outside the slices. */
  private hoverAt(canvasPos: [number, number]): HoverInfo | null {
    const back = this.nv.back;
    const bitmap = this.nv.drawBitmap;
    if (!back?.dimsRAS) return null;
    const frac = this.nv.canvasPos2frac(canvasPos);
    if (frac[0] < 0 || frac[0] > 1 || frac[1] < 0 || frac[1] > 1 || frac[2] < 0 || frac[2] > 1) return null;
    const mm = this.nv.frac2mm(frac);
    const point: [number, number, number] = [mm[0], mm[1], mm[2]];
    const vox = back.mm2vox(point);
    const hu = back.getValue(vox[0], vox[1], vox[2]);
    // The drawing bitmap is in RAS voxel order (frac2vox), not the file's.
    const ras = this.nv.frac2vox(frac);
    const [nx, ny] = [back.dimsRAS[1]!, back.dimsRAS[2]!];
    const index = ras[0] + ras[1] * nx + ras[2] * nx * ny;
    const label = bitmap && index >= 0 && index < bitmap.length ? bitmap[index]! : 0;
    return { mm: point, hu, label };
  }

  /** The drawing layer's colour table: the server's label colours, hidden structures transparent. */
  private applyLabelColours(): void {
    const cmap: ColorMap = { R: [0], G: [0], B: [0], A: [0], I: [0], labels: [''] };
    for (let value = 1; value < 256; value++) {
      const entry = this.labels.get(value);
      const [r, g, b] = entry?.color ?? [255, 255, 255];
      cmap.R.push(r);
      cmap.G.push(g);
      cmap.B.push(b);
      cmap.A.push(this.hidden.has(value) ? 0 : 255);
      cmap.I.push(value);
      cmap.labels.push(entry?.name ?? String(value));
    }
    // NiiVue's drawing colour table takes a colour map object as well as a built-in name.
    this.nv.setDrawColormap(cmap as unknown as string);
  }
}
