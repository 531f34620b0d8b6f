import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalDatastore } from '../../src/datastore/localDatastore';
import { gridMismatch } from '../../src/core/gridCheck';
import type { VolumeReader } from '../../src/core/volumeReader';
import { readVolumeFile, testImage, testLabel, writeVolumeFile } from '../server/harness/imageFiles';

/**
 * Replacing an image while a label for it is uploaded must never leave a label off its image's grid: either the
 * label is refused (422), or it lands on the grid of the image that is there when it is stored. The reader's random
 * delays move the two requests' steps past each other in every order a real server sees.
 */
describe('label upload racing an image replacement', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-label-race-'));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const jitter: VolumeReader = async (file) => {
    await new Promise((r) => setTimeout(r, Math.random() * 15));
    const v = await readVolumeFile(file);
    await new Promise((r) => setTimeout(r, Math.random() * 15));
    return v;
  };

  test('40 trials: every stored label lies on its image', async () => {
    const small = testImage([12, 10, 8]);
    const large = testImage([14, 10, 8]);
    const smallFile = path.join(root, 'in', 'small.nii.gz');
    const largeFile = path.join(root, 'in', 'large.nii.gz');
    const labelFile = path.join(root, 'in', 'label.nii.gz');
    await writeVolumeFile(smallFile, small);
    await writeVolumeFile(largeFile, large);
    await writeVolumeFile(labelFile, testLabel(small, (i) => i % 3));
    const copy = async (from: string, name: string) => {
      const to = path.join(root, 'in', `${name}-${Math.random().toString(36).slice(2)}.nii.gz`);
      await fs.promises.copyFile(from, to);
      return { tempPath: to, fileName: path.basename(from) };
    };
    const offGrid: string[] = [];
    for (let trial = 0; trial < 40; trial++) {
      const store = await LocalDatastore.open({ root: path.join(root, `studies-${trial}`), readVolume: jitter });
      await store.addImage('ct', await copy(smallFile, 'img'), {});
      const [label, image] = await Promise.allSettled([store.saveLabel('ct', 'final', await copy(labelFile, 'lab'), {}), store.addImage('ct', await copy(largeFile, 'img'), {})]);
      expect(image.status).toBe('fulfilled');
      if (label.status === 'rejected') expect(String(label.reason)).toMatch(/does not match its image/);
      const pairs = await store.trainingPairs();
      for (const pair of pairs) {
        const mismatch = gridMismatch(await readVolumeFile(pair.image), await readVolumeFile(pair.label));
        if (mismatch) offGrid.push(`trial ${trial}: ${mismatch}`);
      }
    }
    expect(offGrid).toEqual([]);
  });
});
