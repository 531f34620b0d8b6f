import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import type { Browser, Page } from 'playwright-core';
import { readImage } from '../../src/io';
import { inverse4 } from '../../src/core/linalg4';
import { labelColorRgb } from '../../src/core/labelColors';
import { startServerProcess, tempRoot, type ServerProcess } from '../reliability/harness/serverProcess';
import { ORACLE_DIR, describeWithOracle } from '../helpers/oracle';
import { collectPageErrors, describeWithBrowser, launchBrowser } from './browser';

/**
 * The web page end to end in headless Chromium against a real `wbct serve` with the tiny weights and the real head
 * CT: list, viewer, run with progress, overlay, statistics, correcting and submitting.
 */
const CT = path.join(ORACLE_DIR, 'cranium_ct.nii.gz');
const ID = 'cranium_ct';
const MODEL = 'wholeBody_ct_segmentation';

/** What the page exposes to scripts (`window.wbct`), and the browser globals used inside `page.evaluate`. */
interface PageHandle {
  readonly viewer: { labelFile(): Promise<Uint8Array>; crosshairMm(): number[] };
  statistics(): Record<string, { label: number; centroid: number[] }> | null;
}
interface BrowserNode {
  readonly textContent: string | null;
}
declare const window: { wbct: PageHandle; statusTexts: string[]; btoa(s: string): string };
declare const document: { getElementById(id: string): BrowserNode | null; querySelector(selector: string): BrowserNode | null };
declare const MutationObserver: new (callback: () => void) => { observe(node: BrowserNode, options: object): void };

interface Rgb {
  readonly r: number;
  readonly g: number;
  readonly b: number;
}

async function canvasPixels(page: Page): Promise<{ width: number; height: number; at(x: number, y: number): Rgb }> {
  const png = PNG.sync.read(await page.locator('#viewer').screenshot());
  return {
    width: png.width,
    height: png.height,
    at: (x, y) => {
      const i = (png.width * y + x) * 4;
      return { r: png.data[i]!, g: png.data[i + 1]!, b: png.data[i + 2]! };
    },
  };
}

async function waitForStatus(page: Page, text: string | RegExp, selector = '#status'): Promise<void> {
  await page.waitForFunction(
    ([sel, source, flags]) => new RegExp(source, flags).test(document.querySelector(sel)?.textContent ?? ''),
    [selector, typeof text === 'string' ? text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : text.source, typeof text === 'string' ? '' : text.flags] as const,
    { timeout: 60_000 },
  );
}

/** Runs the model from the page (lowres, fast) and resolves with every text the job status line showed. */
async function runFromPage(page: Page): Promise<string[]> {
  await page.evaluate(() => {
    const seen: string[] = [];
    window.statusTexts = seen;
    const node = document.getElementById('job-status')!;
    new MutationObserver(() => seen.push(node.textContent ?? '')).observe(node, { childList: true, characterData: true, subtree: true });
  });
  await page.uncheck('#option-highres');
  await page.click('#run');
  await waitForStatus(page, /^(done|.*failed|.*cancel)/, '#job-status');
  return page.evaluate(() => window.statusTexts);
}

/** The page's current label map (what Submit would send), as a volume. */
async function pageLabels(page: Page, file: string) {
  // Base64 across the page boundary: an array of 7 M numbers takes a minute to serialise.
  const base64 = await page.evaluate(async () => {
    const bytes = await window.wbct.viewer.labelFile();
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return window.btoa(text);
  });
  fs.writeFileSync(file, Buffer.from(base64, 'base64'));
  return (await readImage(file)).volume;
}

describeWithOracle('web page (the real head CT)', () => {
describeWithBrowser('web page in headless Chromium', () => {
  let root: string;
  let server: ServerProcess;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  beforeAll(async () => {
    root = tempRoot('wbct-web-');
    fs.mkdirSync(path.join(root, 'studies'));
    fs.copyFileSync(CT, path.join(root, 'studies', `${ID}.nii.gz`));
    server = await startServerProcess({ studiesDir: path.join(root, 'studies'), modelsDir: path.join(root, 'models') });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    errors = collectPageErrors(page);
    await page.goto(`${server.url}/`);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('the list shows the image and its label status; the page is also at /ui/', async () => {
    await page.waitForSelector(`#image-list li[data-image="${ID}"]`);
    expect(await page.textContent(`#image-list li[data-image="${ID}"] .badge`)).toBe('none');
    await page.fill('#image-search', 'nothing-matches');
    expect(await page.locator('#image-list li').count()).toBe(0);
    await page.fill('#image-search', 'cran');
    expect(await page.locator('#image-list li').count()).toBe(1);
    const ui = await fetch(`${server.url}/ui/`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('<title>wbct');
  });

  test('opening the image draws the CT', async () => {
    await page.click(`#image-list li[data-image="${ID}"]`);
    await waitForStatus(page, `${ID} open`);
    await page.selectOption('#view', 'axial');
    await page.waitForTimeout(300);
    const px = await canvasPixels(page);
    const greys = new Set<number>();
    for (let y = 0; y < px.height; y += 4) for (let x = 0; x < px.width; x += 4) greys.add(px.at(x, y).r);
    // A drawn CT has many grey levels; an empty canvas has one (the background).
    expect(greys.size).toBeGreaterThan(50);
  });

  test('run shows progress, then the labels over the CT in their colours', async () => {
    await page.fill('#opacity', '0');
    await page.dispatchEvent('#opacity', 'input');
    const texts = await runFromPage(page);
    expect(texts.some((t) => /^running: (window \d+ of \d+|load|preprocess|infer|invert|write)/.test(t))).toBe(true);
    expect(texts.at(-1)).toMatch(/^done in \d+\.\d s on (onnxruntime|onednn)/);
    await page.waitForTimeout(300);
    const bare = await canvasPixels(page);
    await page.fill('#opacity', '1');
    await page.dispatchEvent('#opacity', 'input');
    await page.waitForTimeout(300);
    const labelled = await canvasPixels(page);

    const present = Object.keys(await page.evaluate(() => window.wbct.statistics() ?? {})).length;
    expect(present).toBeGreaterThan(0);
    const palette = Array.from({ length: 105 }, (_, l) => labelColorRgb(l));
    let changed = 0;
    let inPalette = 0;
    for (let y = 0; y < bare.height; y += 2) {
      for (let x = 0; x < bare.width; x += 2) {
        const [a, b] = [bare.at(x, y), labelled.at(x, y)];
        if (Math.abs(a.r - b.r) + Math.abs(a.g - b.g) + Math.abs(a.b - b.b) < 12) continue;
        changed++;
        if (palette.slice(1).some(([r, g, bl]) => Math.abs(r - b.r) + Math.abs(g - b.g) + Math.abs(bl - b.b) <= 12)) inPalette++;
      }
    }
    // The crosshair (yellow) also differs between the two pictures when NiiVue redraws it; the labels dominate.
    expect(changed).toBeGreaterThan(1000);
    expect(inPalette / changed).toBeGreaterThan(0.9);
  });

  test('the statistics table equals an independent computation from the label file and the CT', async () => {
    const labels = await pageLabels(page, path.join(root, 'result.nii'));
    const ct = (await readImage(CT)).volume;
    expect(labels.shape).toEqual(ct.shape);
    const a = ct.affineRas;
    const voxelMm3 = Math.abs(
      a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]),
    );
    const count = new Map<number, number>();
    const sum = new Map<number, number>();
    labels.data.forEach((l, i) => {
      if (l === 0) return;
      count.set(l, (count.get(l) ?? 0) + 1);
      sum.set(l, (sum.get(l) ?? 0) + ct.data[i]!);
    });
    const rows = await page.$$eval('#structure-table tbody tr', (trs) => trs.map((tr) => [tr.dataset.label ?? '', ...[...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')]));
    expect(rows).toHaveLength(count.size);
    for (const [label, , , voxels, volumeMl, meanHu] of rows) {
      const l = Number(label);
      expect({ label: l, voxels: Number(voxels) }).toEqual({ label: l, voxels: count.get(l) });
      expect(Number(volumeMl)).toBeCloseTo((count.get(l)! * voxelMm3) / 1000, 2);
      expect(Number(meanHu)).toBeCloseTo(sum.get(l)! / count.get(l)!, 1);
    }
    // Sorting by volume puts the largest structure first.
    await page.click('#structure-table th[data-sort="volume"]');
    const first = await page.$eval('#structure-table tbody tr', (tr) => Number(tr.dataset.label));
    expect(count.get(first)).toBe(Math.max(...count.values()));
  });

  test('hovering shows the position, the HU and the structure under the pointer', async () => {
    const box = (await page.locator('#viewer').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.move(box.x + box.width / 2 + 3, box.y + box.height / 2 + 3);
    await page.waitForFunction(() => /mm/.test(document.getElementById('hover')?.textContent ?? ''));
    const text = (await page.textContent('#hover')) ?? '';
    expect(text).toMatch(/^-?\d+\.\d, -?\d+\.\d, -?\d+\.\d mm\s+-?\d+ HU/);
    // The centre of the head is labelled (by these random weights): its structure's name follows.
    const names = Object.values(((await (await fetch(`${server.url}/ui/config.json`)).json()) as { labels: Record<string, { name: string }> }).labels).map((l) => l.name);
    expect(names).toContain(/HU\s+(\S+)$/.exec(text.trim())?.[1]);
  });

  test('clicking a structure centres the viewer on its centroid', async () => {
    const stats = await page.evaluate(() => window.wbct.statistics() ?? {});
    const [name, s] = Object.entries(stats)[0]!;
    await page.click(`#structure-table tr[data-label="${s.label}"] td.name`);
    const mm = await page.evaluate(() => window.wbct.viewer.crosshairMm());
    // NiiVue snaps the crosshair to the nearest voxel centre: within one voxel (0.96 x 0.96 x 1.5 mm) of the centroid.
    expect({ name, dx: Math.abs(mm[0]! - s.centroid[0]!) < 1, dy: Math.abs(mm[1]! - s.centroid[1]!) < 1, dz: Math.abs(mm[2]! - s.centroid[2]!) < 1.6 }).toEqual({ name, dx: true, dy: true, dz: true });
  });

  test('a stroke drawn and submitted gives a final label that differs from the result exactly where drawn', async () => {
    const before = await pageLabels(page, path.join(root, 'before.nii'));
    await page.selectOption('#view', 'axial');
    await page.check('input[name="tool"][value="navigate"]');
    const box = (await page.locator('#viewer').boundingBox())!;
    const [ax, ay] = [box.x + box.width * 0.42, box.y + box.height * 0.45];
    const [bx, by] = [box.x + box.width * 0.58, box.y + box.height * 0.55];
    const crosshairAt = async (x: number, y: number) => {
      await page.mouse.click(x, y);
      return page.evaluate(() => window.wbct.viewer.crosshairMm());
    };
    const [mmA, mmB] = [await crosshairAt(ax, ay), await crosshairAt(bx, by)];

    const pen = 7; // aorta
    await page.selectOption('#pen-label', String(pen));
    await page.fill('#pen-size', '1');
    await page.dispatchEvent('#pen-size', 'input');
    const stroke = async (tool: 'draw' | 'erase') => {
      await page.check(`input[name="tool"][value="${tool}"]`);
      await page.mouse.move(ax, ay);
      await page.mouse.down();
      for (let s = 1; s <= 20; s++) await page.mouse.move(ax + ((bx - ax) * s) / 20, ay + ((by - ay) * s) / 20);
      await page.mouse.up();
      await page.check('input[name="tool"][value="navigate"]');
    };
    // Erase, then undo: the map is as it was.
    await stroke('erase');
    const erased = await pageLabels(page, path.join(root, 'erased.nii'));
    const zeroed = erased.data.reduce((n, v, i) => n + (v !== before.data[i] ? 1 : 0), 0);
    expect(zeroed).toBeGreaterThan(0);
    expect(erased.data.every((v, i) => v === before.data[i] || v === 0)).toBe(true);
    await page.click('#undo');
    expect(Buffer.compare(Buffer.from((await pageLabels(page, path.join(root, 'undone.nii'))).data), Buffer.from(before.data))).toBe(0);
    await stroke('draw');
    await page.click('#submit');
    await waitForStatus(page, `stored as the final label of ${ID}`, '#submit-status');
    await page.waitForSelector(`#image-list li[data-image="${ID}"] .badge.final`);

    const finalFile = fs.readdirSync(path.join(root, 'studies', 'labels', 'final')).find((f) => f.startsWith(ID));
    expect(finalFile).toBeDefined();
    const after = (await readImage(path.join(root, 'studies', 'labels', 'final', finalFile!))).volume;
    expect(after.shape).toEqual(before.shape);
    expect(after.affineRas).toEqual(before.affineRas);

    // The stroke's ends in voxel indices of the file's grid.
    const inv = inverse4(before.affineRas);
    const toVoxel = (mm: number[]) => [0, 1, 2].map((r) => inv[r]![0] * mm[0]! + inv[r]![1] * mm[1]! + inv[r]![2] * mm[2]! + inv[r]![3]);
    const [va, vb] = [toVoxel(mmA), toVoxel(mmB)];
    expect(Math.round(va[2]!)).toBe(Math.round(vb[2]!));
    const slice = Math.round(va[2]!);
    const [nx, ny] = [before.shape[0], before.shape[1]];
    const distanceToStroke = (i: number, j: number) => {
      const [dx, dy] = [vb[0]! - va[0]!, vb[1]! - va[1]!];
      const t = Math.max(0, Math.min(1, ((i - va[0]!) * dx + (j - va[1]!) * dy) / (dx * dx + dy * dy)));
      return Math.hypot(i - (va[0]! + t * dx), j - (va[1]! + t * dy));
    };
    const changed: { i: number; j: number; k: number; value: number }[] = [];
    for (let v = 0; v < after.data.length; v++) {
      if (after.data[v] === before.data[v]) continue;
      changed.push({ i: v % nx, j: Math.floor(v / nx) % ny, k: Math.floor(v / (nx * ny)), value: after.data[v]! });
    }
    const strokeLength = Math.hypot(vb[0]! - va[0]!, vb[1]! - va[1]!);
    expect(strokeLength).toBeGreaterThan(10);
    // Every changed voxel is on the stroke's slice, carries the pen's label and lies on the stroke's path.
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.filter((c) => c.k !== slice || c.value !== pen || distanceToStroke(c.i, c.j) > 1.5)).toEqual([]);
    // ... and the stroke was drawn along its whole length: a line of voxels has max(|di|, |dj|) + 1 of them, less the
    // ones that already had the pen's label.
    const steps = Math.round(Math.max(Math.abs(vb[0]! - va[0]!), Math.abs(vb[1]! - va[1]!)));
    const alreadyPen = [...Array(steps + 1)].filter((_, s) => {
      const [i, j] = [Math.round(va[0]! + (s / steps) * (vb[0]! - va[0]!)), Math.round(va[1]! + (s / steps) * (vb[1]! - va[1]!))];
      return before.data[i + nx * (j + ny * slice)] === pen;
    }).length;
    expect(changed.length + alreadyPen).toBeGreaterThanOrEqual(0.9 * (steps + 1));
  });

  test('downloads: the statistics as JSON and CSV, the label map as NIfTI', async () => {
    const saved = async (button: string) => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
      const file = path.join(root, download.suggestedFilename());
      await download.saveAs(file);
      return file;
    };
    const stats = JSON.parse(fs.readFileSync(await saved('#download-stats-json'), 'utf8')) as Record<string, { label: number; voxels: number }>;
    expect(stats).toEqual(await page.evaluate(() => window.wbct.statistics()));
    const csv = fs.readFileSync(await saved('#download-stats-csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^structure,label,voxels,volume_mm3,intensity_mean_hu/);
    expect(csv).toHaveLength(Object.keys(stats).length + 1);
    const label = await readImage(await saved('#download-label'));
    expect(label.volume.shape).toEqual([256, 256, 108]);
  });

  test('next sample: with every image labelled final, the page says so', async () => {
    await page.click('#next-sample');
    await waitForStatus(page, 'every image has a final label');
  });

  test('a second run while another is running shows its place in the queue; cancel stops it', async () => {
    // A slow run started through the API (highres, overlap 0.9: a few hundred windows of the tiny model).
    const form = new FormData();
    form.append('params', JSON.stringify({ highres: true, sw_overlap: 0.9 }));
    const slow = fetch(`${server.url}/infer/${MODEL}?image=${ID}&job_id=slow-api-run-1`, { method: 'POST', body: form });
    // The list, not /infer/jobs/{id}: that answers 404 until the server has read the request.
    await page.waitForFunction(
      async (url) => ((await (await fetch(url)).json()) as { id: string; state: string }[]).some((j) => j.id === 'slow-api-run-1' && j.state === 'running'),
      `${server.url}/infer/jobs/`,
      { timeout: 30_000, polling: 100 },
    );
    await page.uncheck('#option-highres');
    await page.click('#run');
    await waitForStatus(page, /^queued: position 1 in line/, '#job-status');
    await page.click('#cancel');
    await waitForStatus(page, /was cancelled/, '#job-status');
    await fetch(`${server.url}/infer/jobs/slow-api-run-1`, { method: 'DELETE' });
    expect((await slow).status).toBe(409);
    // The page's own cancelled request answered 409: the one expected error response.
    const cancelled = errors.filter((e) => /409/.test(e));
    expect(cancelled.length).toBeGreaterThan(0);
    errors.splice(0, errors.length, ...errors.filter((e) => !/409/.test(e)));
  });

  test('no errors in the console', () => {
    expect(errors).toEqual([]);
  });
});
});
