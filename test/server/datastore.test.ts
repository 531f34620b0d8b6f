import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { readVolumeFile, testImage, testLabel, writeVolumeFile } from './harness/imageFiles';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { slicerMultipartBody } from './harness/rawHttp';
import { startTestServer, type TestServer } from './harness/testServer';

describe('datastore endpoints', () => {
  let t: TestServer;
  let imagePath: string;
  beforeEach(async () => {
    t = await startTestServer({ segmenter: new GridCopySegmenter() });
    imagePath = await t.imageFile('case001.nii.gz');
  });
  afterEach(() => t.close());

  const upload = (url: string, file = imagePath, params = '{"client_id": "user-xyz"}') =>
    request(t.server).put(url).field('params', params).attach('file', file);

  test('empty datastore stats and dump', async () => {
    for (const url of ['/datastore/', '/datastore', '/datastore/?output=stats']) {
      const res = await request(t.server).get(url).expect(200);
      expect(res.body).toEqual({ total: 0, completed: 0, label_tags: {} });
    }
    const all = await request(t.server).get('/datastore/?output=all').expect(200);
    expect(all.body).toEqual({ name: 'new-dataset', description: 'New Dataset', images_dir: '.', labels_dir: 'labels', objects: {} });
    const bad = await request(t.server).get('/datastore/?output=everything').expect(422);
    expect(bad.body.detail).toMatch(/output/);
  });

  test.each(['/datastore/?image=case001', '/datastore?image=case001', '/datastore/image?image=case001', '/datastore/image/?image=case001'])(
    'PUT %s stores the image with MONAI info fields',
    async (url) => {
      const res = await upload(url).expect(200);
      expect(res.body).toEqual({ image: 'case001' });
      const all = await request(t.server).get('/datastore/?output=all').expect(200);
      const info = all.body.objects.case001.image;
      expect(info.ext).toBe('.nii.gz');
      expect(info.info).toMatchObject({ client_id: 'user-xyz', user: 'admin', name: 'case001.nii.gz' });
      expect(Number.isInteger(info.info.ts)).toBe(true);
      expect(fs.existsSync(path.join(t.studiesDir, 'case001.nii.gz'))).toBe(true);
    },
  );

  test('Slicer framing: literal boundary, Windows path filename, id from the basename', async () => {
    const body = slicerMultipartBody({ client_id: 'user-xyz' }, [{ field: 'file', filename: 'C:\\Users\\me\\AppData\\Local\\Temp\\tmpab12.nii.gz', bytes: fs.readFileSync(imagePath) }]);
    const res = await request(t.server).put('/datastore/').set('content-type', body.contentType).send(body.bytes).expect(200);
    expect(res.body).toEqual({ image: 'tmpab12' });
    expect(fs.existsSync(path.join(t.studiesDir, 'tmpab12.nii.gz'))).toBe(true);
  });

  test('ids with spaces and colons (quote_plus) are kept verbatim but never become raw file names', async () => {
    const res = await upload('/datastore/?image=6%3A+CT+Chest').expect(200);
    expect(res.body).toEqual({ image: '6: CT Chest' });
    const all = await request(t.server).get('/datastore/?output=all').expect(200);
    const name: string = all.body.objects['6: CT Chest'].image.info.name;
    expect(name).toMatch(/^6_CT_Chest-[0-9a-f]{10}\.nii\.gz$/);
    expect(fs.readdirSync(t.studiesDir).filter((f) => f.endsWith('.nii.gz'))).toEqual([name]);
    const download = await request(t.server).get('/datastore/image?image=6%3A+CT+Chest').buffer(true).expect(200);
    expect(download.headers['content-disposition']).toBe(`attachment; filename="${name}"`);
  });

  test.each(['../../escape', '..', 'a/b/c', 'C:\\windows\\x', 'labels'])('traversal id %j stays inside the studies folder', async (id) => {
    await upload(`/datastore/?image=${encodeURIComponent(id)}`).expect(200);
    const outside = fs.readdirSync(t.root).sort();
    expect(outside).toEqual(['models', 'scratch', 'studies', 'work']);
    const images = fs.readdirSync(t.studiesDir).filter((f) => f.endsWith('.nii.gz'));
    expect(images).toHaveLength(1);
    expect(images[0]).not.toMatch(/[\\/]/);
  });

  test('ids that are Object.prototype names are ordinary ids; __proto__ is refused', async () => {
    for (const id of ['constructor', 'toString', 'hasOwnProperty']) {
      expect((await upload(`/datastore/?image=${id}`).expect(200)).body).toEqual({ image: id });
    }
    expect((await request(t.server).get('/datastore/').expect(200)).body.total).toBe(3);
    expect((await request(t.server).get('/datastore/image?image=valueOf').expect(404)).body.detail).toMatch(/Image NOT Found/);
    expect((await upload('/datastore/?image=__proto__').expect(400)).body.detail).toMatch(/reserved/);
    expect((await request(t.server).put('/datastore/label?image=constructor&tag=__proto__').field('params', '{}').attach('label', imagePath).expect(422)).body.detail).toMatch(/tag/);
    expect((await request(t.server).get('/datastore/?output=all').expect(200)).body.objects.constructor.labels).toEqual({});
  });

  test('download: bytes, quoted Content-Disposition, Content-Length; unknown id 404 with detail', async () => {
    await upload('/datastore/?image=case001').expect(200);
    const res = await request(t.server).get('/datastore/image?image=case001').buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe('attachment; filename="case001.nii.gz"');
    expect(Number(res.headers['content-length'])).toBe(fs.statSync(imagePath).size);
    expect(Buffer.compare(res.body as Buffer, fs.readFileSync(imagePath))).toBe(0);
    const missing = await request(t.server).get('/datastore/image?image=nope').expect(404);
    expect(missing.body.detail).toMatch(/Image NOT Found/);
  });

  test('rejects a missing file (422), a non-image (415), an unsupported extension (415), bad params JSON (400)', async () => {
    const noFile = await request(t.server).put('/datastore/?image=x').field('params', '{}').expect(422);
    expect(noFile.body.detail).toMatch(/"file"/);
    const junk = path.join(t.root, 'junk.nii.gz');
    fs.writeFileSync(junk, 'this is not an image at all');
    const notImage = await upload('/datastore/?image=x', junk).expect(415);
    expect(notImage.body.detail).toMatch(/junk\.nii\.gz/);
    expect(notImage.body.detail).not.toContain(t.studiesDir);
    const txt = path.join(t.root, 'notes.txt');
    fs.writeFileSync(txt, 'hello');
    expect((await upload('/datastore/?image=x', txt).expect(415)).body.detail).toMatch(/unsupported extension/);
    const badParams = await upload('/datastore/?image=x', imagePath, '{not json').expect(400);
    expect(badParams.body.detail).toMatch(/params/);
    expect((await request(t.server).get('/datastore/').expect(200)).body.total).toBe(0);
    expect(fs.readdirSync(t.studiesDir).filter((f) => !['labels', 'datastore_v2.json'].includes(f))).toEqual([]);
  });

  test('labels: default tag final, explicit tag, grid check, unknown image, download', async () => {
    await upload('/datastore/?image=case001').expect(200);
    const labelFile = path.join(t.root, 'lab.nii.gz');
    await writeVolumeFile(labelFile, testLabel(testImage(), (i) => (i < 6 ? 1 : 2)));
    const params = JSON.stringify({ label_info: [{ name: 'spleen', idx: 1 }], model: 'wholeBody_ct_segmentation', client_id: 'user-xyz' });
    const saved = await request(t.server).put('/datastore/label?image=case001').field('params', params).attach('label', labelFile).expect(200);
    expect(saved.body).toEqual({ image: 'case001', label: 'case001' });
    await request(t.server).put('/datastore/label?image=case001&tag=original').field('params', '{}').attach('label', labelFile).expect(200);
    const stats = await request(t.server).get('/datastore/').expect(200);
    expect(stats.body).toEqual({ total: 1, completed: 1, label_tags: { final: 1, original: 1 } });
    const all = await request(t.server).get('/datastore/?output=all').expect(200);
    expect(all.body.objects.case001.labels.final).toMatchObject({ ext: '.nii.gz', info: { label_info: [{ name: 'spleen', idx: 1 }], name: 'case001.nii.gz' } });
    const train = await request(t.server).get('/datastore/?output=train').expect(200);
    expect(train.body).toEqual([{ image: path.join(t.studiesDir, 'case001.nii.gz'), label: path.join(t.studiesDir, 'labels', 'final', 'case001.nii.gz') }]);

    const download = await request(t.server).get('/datastore/label?label=case001&tag=final').expect(200);
    expect(download.headers['content-disposition']).toBe('attachment; filename="case001.nii.gz"');
    const back = await readVolumeFile(path.join(t.studiesDir, 'labels', 'final', 'case001.nii.gz'));
    expect(Array.from(back.data.slice(0, 12))).toEqual([1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);

    const wrongShape = path.join(t.root, 'wrong.nii.gz');
    await writeVolumeFile(wrongShape, testLabel(testImage([12, 10, 9]), () => 1));
    const mismatch = await request(t.server).put('/datastore/label?image=case001').field('params', '{}').attach('label', wrongShape).expect(422);
    expect(mismatch.body.detail).toMatch(/shape \[12, 10, 9\] differs from image shape \[12, 10, 8\]/);
    const shifted = testImage();
    const moved = path.join(t.root, 'moved.nii.gz');
    await writeVolumeFile(moved, testLabel({ ...shifted, affineRas: [shifted.affineRas[0], shifted.affineRas[1], [0, 0, 1.5, 9], [0, 0, 0, 1]] }, () => 1));
    expect((await request(t.server).put('/datastore/label?image=case001').field('params', '{}').attach('label', moved).expect(422)).body.detail).toMatch(/origin/);

    expect((await request(t.server).put('/datastore/label?image=nope').field('params', '{}').attach('label', labelFile).expect(404)).body.detail).toMatch(/Image NOT Found/);
    expect((await request(t.server).put('/datastore/label?image=case001&tag=..%2Fx').field('params', '{}').attach('label', labelFile).expect(422)).body.detail).toMatch(/tag/);
    expect((await request(t.server).get('/datastore/label?label=case001&tag=nosuch').expect(404)).body.detail).toMatch(/Label NOT Found/);
    expect(fs.readdirSync(path.join(t.studiesDir, 'labels', 'final'))).toEqual(['case001.nii.gz']);
  });

  test('PUT of an existing image replaces it and resets its labels (files too)', async () => {
    await upload('/datastore/?image=case001').expect(200);
    const labelFile = path.join(t.root, 'lab.nii.gz');
    await writeVolumeFile(labelFile, testLabel(testImage(), () => 1));
    await request(t.server).put('/datastore/label?image=case001').field('params', '{}').attach('label', labelFile).expect(200);
    const other = await t.imageFile('other.nii.gz', testImage([8, 8, 8]));
    await upload('/datastore/?image=case001', other).expect(200);
    const all = await request(t.server).get('/datastore/?output=all').expect(200);
    expect(all.body.objects.case001.labels).toEqual({});
    expect(fs.readdirSync(path.join(t.studiesDir, 'labels', 'final'))).toEqual([]);
    expect((await readVolumeFile(path.join(t.studiesDir, 'case001.nii.gz'))).shape).toEqual([8, 8, 8]);
  });

  test('images and labels added by hand appear; removed files disappear', async () => {
    await writeVolumeFile(path.join(t.studiesDir, 'byhand.nii.gz'), testImage());
    fs.mkdirSync(path.join(t.studiesDir, 'labels', 'final'), { recursive: true });
    await writeVolumeFile(path.join(t.studiesDir, 'labels', 'final', 'byhand.nii.gz'), testLabel(testImage(), () => 3));
    fs.writeFileSync(path.join(t.studiesDir, 'readme.txt'), 'not an image');
    const stats = await request(t.server).get('/datastore/').expect(200);
    expect(stats.body).toEqual({ total: 1, completed: 1, label_tags: { final: 1 } });
    fs.rmSync(path.join(t.studiesDir, 'byhand.nii.gz'));
    expect((await request(t.server).get('/datastore/').expect(200)).body.total).toBe(0);
  });
});

describe('upload size limit', () => {
  test('a file over maxUploadBytes answers 413 and leaves nothing behind', async () => {
    const t = await startTestServer({ segmenter: new GridCopySegmenter(), server: { limits: { maxUploadBytes: 200 } } });
    try {
      const big = await t.imageFile('big.nii', testImage([16, 16, 16]));
      const res = await request(t.server).put('/datastore/?image=big').field('params', '{}').attach('file', big).expect(413);
      expect(res.body.detail).toMatch(/File too large/);
      expect((await request(t.server).get('/datastore/').expect(200)).body.total).toBe(0);
      expect(fs.readdirSync(path.join(t.root, 'work', 'uploads'))).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe('datastore index persistence', () => {
  test('survives a restart, a torn index write and leftover temp files', async () => {
    const first = await startTestServer({ segmenter: new GridCopySegmenter() });
    const studies = first.studiesDir;
    const keep = path.join(first.root, '..', `${path.basename(first.root)}-studies`);
    const img = await first.imageFile('a.nii.gz');
    await request(first.server).put('/datastore/?image=6%3A+CT+Chest').field('params', '{"client_id":"c"}').attach('file', img).expect(200);
    fs.cpSync(studies, keep, { recursive: true });
    await first.close();
    try {
      const second = await startTestServer({ segmenter: new GridCopySegmenter(), studiesDir: keep });
      const all = await request(second.server).get('/datastore/?output=all').expect(200);
      expect(all.body.objects['6: CT Chest'].image.info).toMatchObject({ client_id: 'c', user: 'admin' });
      await second.close();

      // A crash mid-write leaves a hidden temp file beside an intact index; a torn index (not JSON) is rebuilt from the folder.
      fs.writeFileSync(path.join(keep, '.datastore_v2.json.abc.tmp'), '{"objects": {');
      fs.writeFileSync(path.join(keep, '.upload-0123.nii.gz'), 'partial upload');
      const third = await startTestServer({ segmenter: new GridCopySegmenter(), studiesDir: keep });
      expect((await request(third.server).get('/datastore/?output=all').expect(200)).body.objects['6: CT Chest'].image.info).toMatchObject({ client_id: 'c', user: 'admin' });
      expect(fs.readdirSync(keep).filter((f) => f.startsWith('.'))).toEqual([]);
      await third.close();

      fs.writeFileSync(path.join(keep, 'datastore_v2.json'), '{"name": "new-dataset", "objects": {"x": ');
      const fourth = await startTestServer({ segmenter: new GridCopySegmenter(), studiesDir: keep });
      const rebuilt = await request(fourth.server).get('/datastore/?output=all').expect(200);
      expect(Object.keys(rebuilt.body.objects)).toHaveLength(1);
      // The rebuilt index is written back: the file on disk lists what the server answers.
      const onDisk = JSON.parse(fs.readFileSync(path.join(keep, 'datastore_v2.json'), 'utf8')) as { objects: Record<string, unknown> };
      expect(Object.keys(onDisk.objects)).toEqual(Object.keys(rebuilt.body.objects));
      await fourth.close();
    } finally {
      fs.rmSync(keep, { recursive: true, force: true });
    }
  });
});
