import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { readImage } from '../../src/io';
import { readStoredImage } from '../../src/io/readStoredImage';
import { structureStatistics } from '../../src/report/structureStatistics';
import { wholeBodyRecipe } from '../../src/apps/totalseg/bundleRecipe';
import { writeScaledInt16Nifti } from '../helpers/scaledNifti';
import { BODY_SCALING, syntheticBodyCt } from '../helpers/syntheticBodyCt';
import { describeWithRunner, TINY_MODEL } from '../server/harness/realRunner';
import { runWbct } from './cliHarness';

describeWithRunner('wbct segment --statistics --preview', () => {
  let dir: string;
  let cache: string;
  let input: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-cli-report-'));
    cache = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-cache-'));
    input = path.join(dir, 'ct.nii.gz');
    await writeScaledInt16Nifti(input, syntheticBodyCt(), BODY_SCALING.slope, BODY_SCALING.inter);
  });
  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(cache, { recursive: true, force: true });
  });

  test('writes the label map, the statistics JSON (pretty-printed) and a PNG preview', async () => {
    const out = path.join(dir, 'labels.nii.gz');
    const stats = path.join(dir, 'stats.json');
    const preview = path.join(dir, 'preview.png');
    const r = await runWbct(['segment', input, '-o', out, '--lowres', '--weights', TINY_MODEL, '--threads', '2', '--statistics', stats, '--preview', preview], { WBCT_CACHE_DIR: cache });
    expect(r.stderr).toMatch(/statistics of [1-9]\d* structures -> .*stats\.json/);
    expect(r.stderr).toMatch(/preview -> .*preview\.png/);
    expect(r.code).toBe(0);

    const text = fs.readFileSync(stats, 'utf8');
    expect(text).toMatch(/^\{\n {2}"/);
    const labels = (await readImage(out, { voxels: 'stored' })).volume;
    expect(JSON.parse(text)).toEqual(structureStatistics(labels, await readStoredImage(input), wholeBodyRecipe('lowres').labelNames));

    const png = PNG.sync.read(fs.readFileSync(preview));
    // 1.5 mm pixels: axial and coronal 48 px wide (R), sagittal 40 (A); rows 40 (A) or 48 (S: 24 x 3 mm).
    expect([png.width, png.height]).toEqual([48 + 48 + 40, 48]);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test.each([
    ['--statistics without a value', ['--statistics'], /Option '--statistics <value>' argument missing/],
    ['--statistics followed by another option', ['--statistics', '--preview', 'p.png'], /'--statistics' argument is ambiguous/],
    ['--preview in a missing folder', ['--preview', '/nonexistent-wbct/p.png'], /--preview \/nonexistent-wbct\/p\.png: folder \/nonexistent-wbct does not exist/],
    ['--preview that is not a .png', ['--preview', 'p.jpg'], /--preview must name a \.png file, got "p\.jpg"/],
    ['--statistics naming a folder', ['--statistics', os.tmpdir()], /is a folder; name a file/],
  ])('%s: usage error, exit 2, nothing written', async (_name, extra, message) => {
    const out = path.join(dir, 'never.nii.gz');
    const r = await runWbct(['segment', input, '-o', out, '--weights', TINY_MODEL, ...extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/usage: wbct segment .*\[--statistics stats\.json\] \[--preview preview\.png\]/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(fs.existsSync(out)).toBe(false);
  });
});
