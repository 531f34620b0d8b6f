import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OWNER_FILE, SCRATCH_PREFIX, openScratchDir, ownerAlive, ownerOf, readOwner, type ScratchOwner } from '../../src/server/scratchDir';

const onLinux = process.platform === 'linux';

function markedDir(root: string, name: string, owner: ScratchOwner | string): string {
  const dir = path.join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, OWNER_FILE), typeof owner === 'string' ? owner : JSON.stringify(owner));
  fs.writeFileSync(path.join(dir, 'partial-upload'), 'half a CT');
  return dir;
}

function sleeper(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.once('spawn', () => resolve(child));
    child.once('error', reject);
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe('scratch folders', () => {
  let root: string;
  const children: ChildProcess[] = [];
  beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-scratch-test-'))));
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) await killed(c);
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a fresh folder is marked with this process and removed on release', async () => {
    const scratch = openScratchDir({ tmpRoot: root });
    expect(scratch.owned).toBe(true);
    expect(path.dirname(scratch.path)).toBe(root);
    expect(path.basename(scratch.path).startsWith(SCRATCH_PREFIX)).toBe(true);
    expect(readOwner(scratch.path)).toEqual(ownerOf(process.pid));
    fs.mkdirSync(path.join(scratch.path, 'uploads', 'req-1'), { recursive: true });
    await scratch.release();
    await scratch.release();
    expect(fs.existsSync(scratch.path)).toBe(false);
  });

  test('the folder of a process that was killed is removed; a live process keeps its folder', async () => {
    const live = await sleeper();
    const dead = await sleeper();
    children.push(live, dead);
    const liveDir = markedDir(root, `${SCRATCH_PREFIX}live`, ownerOf(live.pid!)!);
    const deadDir = markedDir(root, `${SCRATCH_PREFIX}dead`, ownerOf(dead.pid!)!);
    const mineDir = markedDir(root, `${SCRATCH_PREFIX}mine`, ownerOf(process.pid)!);
    await killed(dead);

    const scratch = openScratchDir({ tmpRoot: root });
    expect(scratch.removed).toEqual([deadDir]);
    expect(fs.existsSync(deadDir)).toBe(false);
    expect(fs.readFileSync(path.join(liveDir, 'partial-upload'), 'utf8')).toBe('half a CT');
    expect(fs.existsSync(mineDir)).toBe(true);
    expect(fs.existsSync(scratch.path)).toBe(true);
    await scratch.release();
  });

  (onLinux ? test : test.skip)('a process that reuses a dead owner\'s pid, or a marker from an earlier boot, does not keep a folder', async () => {
    const me = ownerOf(process.pid)!;
    expect(me.start).toMatch(/^\d+$/);
    const reused = markedDir(root, `${SCRATCH_PREFIX}reused`, { ...me, start: String(Number(me.start) + 1) });
    const rebooted = markedDir(root, `${SCRATCH_PREFIX}rebooted`, { ...me, boot: '00000000-0000-0000-0000-000000000000' });
    const scratch = openScratchDir({ tmpRoot: root });
    expect([...scratch.removed].sort()).toEqual([rebooted, reused].sort());
    await scratch.release();
  });

  test('unrelated folders and files are never touched', async () => {
    const dead = await sleeper();
    children.push(dead);
    const deadOwner = ownerOf(dead.pid!)!;
    await killed(dead);
    const otherPrefix = markedDir(root, 'wbct-srv-test-abc', deadOwner);
    const noMarker = path.join(root, `${SCRATCH_PREFIX}nomarker`);
    fs.mkdirSync(noMarker);
    fs.writeFileSync(path.join(noMarker, 'data'), 'x');
    const badMarker = markedDir(root, `${SCRATCH_PREFIX}badmarker`, '{"pid": "not a number"');
    const wrongShape = markedDir(root, `${SCRATCH_PREFIX}wrongshape`, JSON.stringify({ pid: -1, host: os.hostname(), start: null, boot: null }));
    const otherHost = markedDir(root, `${SCRATCH_PREFIX}otherhost`, { ...deadOwner, host: `not-${os.hostname()}` });
    const file = path.join(root, `${SCRATCH_PREFIX}file`);
    fs.writeFileSync(file, 'a file, not a folder');
    const target = markedDir(root, 'elsewhere', deadOwner);
    const link = path.join(root, `${SCRATCH_PREFIX}link`);
    fs.symlinkSync(target, link);
    const markerIsFolder = path.join(root, `${SCRATCH_PREFIX}markerfolder`);
    fs.mkdirSync(path.join(markerIsFolder, OWNER_FILE), { recursive: true });

    const before = fs.readdirSync(root).sort();
    const scratch = openScratchDir({ tmpRoot: root });
    expect(scratch.removed).toEqual([]);
    expect(fs.readdirSync(root).sort()).toEqual([...before, path.basename(scratch.path)].sort());
    for (const dir of [otherPrefix, badMarker, wrongShape, otherHost, target]) expect(fs.readFileSync(path.join(dir, 'partial-upload'), 'utf8')).toBe('half a CT');
    expect(fs.readFileSync(path.join(noMarker, 'data'), 'utf8')).toBe('x');
    expect(fs.readFileSync(file, 'utf8')).toBe('a file, not a folder');
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    await scratch.release();
  });

  test('ownerAlive judges only what it can know', async () => {
    expect(ownerAlive(ownerOf(process.pid)!)).toBe(true);
    const child = await sleeper();
    children.push(child);
    const owner = ownerOf(child.pid!)!;
    expect(ownerAlive(owner)).toBe(true);
    await killed(child);
    expect(ownerOf(child.pid!)).toBeNull();
    expect(ownerAlive(owner)).toBe(false);
    expect(ownerAlive({ ...owner, host: `not-${os.hostname()}` })).toBe(true);
  });

  describe('a caller-given work folder', () => {
    function leftovers(workDir: string): void {
      fs.mkdirSync(path.join(workDir, 'uploads', 'req-0123456789abcdef'), { recursive: true });
      fs.writeFileSync(path.join(workDir, 'uploads', 'req-0123456789abcdef', 'a1b2c3'), 'part of an upload');
      fs.writeFileSync(path.join(workDir, 'uploads', 'loose-part'), 'older layout');
      fs.writeFileSync(path.join(workDir, 'tmp0123456789abcdef.nii.gz'), 'infer result');
      fs.writeFileSync(path.join(workDir, 'copy-tmp0123456789abcdef.nrrd'), 'copy of a result');
      fs.writeFileSync(path.join(workDir, '.upload-0123456789abcdef.nii'), 'image sent with infer');
      fs.writeFileSync(path.join(workDir, '.tmp0123456789abcdef.nii.gz.4242.deadbeef.tmp'), 'atomic write in flight');
    }
    const kept = ['sessions/s1/info.json', 'notes.txt', 'tmp-not-a-result.nii.gz', 'tmp0123.nii.gz'];

    test('is emptied of stale uploads and results at start, keeping sessions and other files, and kept on release', async () => {
      const workDir = path.join(root, 'work');
      leftovers(workDir);
      for (const f of kept) {
        fs.mkdirSync(path.dirname(path.join(workDir, f)), { recursive: true });
        fs.writeFileSync(path.join(workDir, f), f);
      }
      const scratch = openScratchDir({ workDir, tmpRoot: root });
      expect(scratch.owned).toBe(false);
      expect(scratch.path).toBe(workDir);
      expect(scratch.removed).toHaveLength(6);
      expect(fs.readdirSync(path.join(workDir, 'uploads'))).toEqual([]);
      expect(fs.readdirSync(workDir).sort()).toEqual([OWNER_FILE, 'notes.txt', 'sessions', 'tmp-not-a-result.nii.gz', 'tmp0123.nii.gz', 'uploads']);
      for (const f of kept) expect(fs.readFileSync(path.join(workDir, f), 'utf8')).toBe(f);
      await scratch.release();
      expect(fs.readdirSync(workDir).sort()).toEqual(['notes.txt', 'sessions', 'tmp-not-a-result.nii.gz', 'tmp0123.nii.gz', 'uploads']);
    });

    test('is left alone while another live process, or another server of this process, uses it', async () => {
      const workDir = path.join(root, 'work');
      const child = await sleeper();
      children.push(child);
      leftovers(workDir);
      fs.writeFileSync(path.join(workDir, OWNER_FILE), JSON.stringify(ownerOf(child.pid!)));
      const whileShared = openScratchDir({ workDir });
      expect(whileShared.removed).toEqual([]);
      expect(readOwner(workDir)?.pid).toBe(child.pid);
      await whileShared.release();
      expect(readOwner(workDir)?.pid).toBe(child.pid);

      await killed(child);
      const first = openScratchDir({ workDir });
      expect(first.removed).toHaveLength(6);
      leftovers(workDir);
      const second = openScratchDir({ workDir });
      expect(second.removed).toEqual([]);
      expect(fs.existsSync(path.join(workDir, 'tmp0123456789abcdef.nii.gz'))).toBe(true);
      await second.release();
      expect(readOwner(workDir)?.pid).toBe(process.pid);
      await first.release();
      expect(readOwner(workDir)).toBeNull();
    });
  });
});
