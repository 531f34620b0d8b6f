import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalDatastore } from '../../src/datastore/localDatastore';
import type { Volume, VoxelArray } from '../../src/core/volume';
import { readVolumeFile, testImage, testLabel, writeVolumeFile } from '../server/harness/imageFiles';

// Replacing an image under another extension (case001.nii.gz -> case001.nii) must not remove the stored image
// before its replacement is in place: a crash, or a failed rename, in between left the image with no file at all.
describe('replacing an image under another extension', () => {
  let root: string;
  let store: LocalDatastore;
  let client: string;
  beforeEach(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-replace-'));
    client = path.join(root, 'client');
    store = await LocalDatastore.open({ root: path.join(root, 'studies'), readVolume: readVolumeFile });
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  async function incoming(name: string, volume: Volume<VoxelArray> = testImage()): Promise<{ tempPath: string; fileName: string }> {
    const file = path.join(client, `${Date.now()}-${Math.random()}`, name);
    await writeVolumeFile(file, volume);
    return { tempPath: file, fileName: name };
  }

  test('a replacement that cannot be put in place leaves the stored image as it was', async () => {
    await store.addImage('case001', await incoming('case001.nii.gz'), {});
    const stored = await store.imagePath('case001');
    const bytes = fs.readFileSync(stored);
    // The new file's name is taken by a folder, so the rename into place fails, as a crash at that step would stop it.
    fs.mkdirSync(path.join(root, 'studies', 'case001.nii', 'blocker'), { recursive: true });
    await expect(store.addImage('case001', await incoming('case001.nii', testImage([12, 10, 9])), {})).rejects.toMatchObject({ code: 'EISDIR', syscall: 'rename' });
    expect(await store.imagePath('case001')).toBe(stored);
    expect(fs.readFileSync(stored).equals(bytes)).toBe(true);

    const reopened = await LocalDatastore.open({ root: path.join(root, 'studies'), readVolume: readVolumeFile });
    expect(await reopened.listImages()).toEqual(['case001']);
    expect(fs.readFileSync(await reopened.imagePath('case001')).equals(bytes)).toBe(true);
  });

  test('a replacement that succeeds removes the old file and the labels', async () => {
    await store.addImage('case001', await incoming('case001.nii.gz'), {});
    await store.saveLabel('case001', 'final', await incoming('case001.nii.gz', testLabel(testImage(), () => 1)), {});
    await store.addImage('case001', await incoming('case001.nii', testImage([12, 10, 9])), {});
    expect(path.basename(await store.imagePath('case001'))).toBe('case001.nii');
    expect(fs.readdirSync(path.join(root, 'studies')).sort()).toEqual(['case001.nii', 'datastore_v2.json', 'labels']);
    expect(fs.readdirSync(path.join(root, 'studies', 'labels', 'final'))).toEqual([]);
    await expect(store.labelPath('case001', 'final')).rejects.toThrow(/Label NOT Found/);
  });
});
