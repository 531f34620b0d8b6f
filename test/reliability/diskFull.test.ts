import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { storageErrorOf } from '../../src/server/http/storageErrors';
import { GridCopySegmenter } from '../server/harness/gridCopySegmenter';
import { testImage } from '../server/harness/imageFiles';
import { startTestServer, type TestServer } from '../server/harness/testServer';
import { outcomeOfRefusal, recordCase } from './harness/ledger';

/** A real ENOSPC / EBADF from the kernel, not a hand-made object. */
function realError(write: () => void): NodeJS.ErrnoException {
  try {
    write();
  } catch (e) {
    return e as NodeJS.ErrnoException;
  }
  throw new Error('expected the write to fail');
}

describe('storage errors are clear answers, never a bare 500', () => {
  test('ENOSPC (writing /dev/full) -> 507 STORAGE_FULL; an error it wraps as cause too', () => {
    const enospc = realError(() => fs.writeFileSync('/dev/full', 'x'));
    expect(enospc.code).toBe('ENOSPC');
    for (const e of [enospc, new Error('move failed', { cause: enospc })]) {
      const api = storageErrorOf(e);
      expect([api?.status, api?.code]).toEqual([507, 'STORAGE_FULL']);
      expect(api?.detail).toMatch(/disk is full.*nothing was stored/);
    }
    const erofs = Object.assign(new Error('EROFS: read-only file system'), { code: 'EROFS' });
    expect(storageErrorOf(erofs)?.status).toBe(503);
    expect(storageErrorOf(new Error('plain'))).toBeNull();
  });

  // A real full disk: a 1 MiB tmpfs as the studies folder (needs mount rights; skipped visibly without them).
  const mountPoint = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-full-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]).status === 0;
  const maybe = mounted ? describe : describe.skip;
  afterAll(() => {
    if (mounted) spawnSync('umount', [mountPoint]);
    fs.rmSync(mountPoint, { recursive: true, force: true });
  });

  maybe(`a studies folder on a full disk (1 MiB tmpfs)${mounted ? '' : ' [SKIPPED: mount -t tmpfs not permitted here]'}`, () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer({ segmenter: new GridCopySegmenter(), studiesDir: path.join(mountPoint, 'studies') });
    });
    afterAll(() => t.close());

    test('an upload larger than the free space -> 507, nothing stored, no partial file left, the server goes on', async () => {
      const big = await t.imageFile('big.nii', testImage([128, 128, 64])); // 2 MiB of int16
      const res = await request(t.server).put('/datastore/?image=big').attach('file', big);
      // 507 is the answer the catalogue specifies for a full disk (a clear refusal), not a server failure.
      const clear = res.status === 507 && typeof res.body?.detail === 'string' && res.body.detail.includes('nothing was stored');
      recordCase({ area: 'disk-full', name: 'PUT /datastore/ 2 MiB into a 1 MiB disk', outcome: clear ? 'refused' : outcomeOfRefusal(res.status, res.body), status: res.status });
      expect(res.status).toBe(507);
      expect(res.body.detail).toMatch(/disk is full \(ENOSPC\); nothing was stored/);
      expect((await request(t.server).get('/datastore/?output=all').expect(200)).body.objects).toEqual({});
      const left = fs.readdirSync(path.join(mountPoint, 'studies')).filter((f) => f !== 'labels' && f !== 'datastore_v2.json');
      expect(left).toEqual([]);
      const small = await t.imageFile('small.nii.gz');
      await request(t.server).put('/datastore/?image=small').attach('file', small).expect(200);
    });
  });
});
