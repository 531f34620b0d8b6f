import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { processAlive } from '../util/processAlive';

/** Name prefix of the scratch folders a server makes under the OS temp dir. */
export const SCRATCH_PREFIX = 'wbct-server-';
/** The owner marker inside a scratch folder (or a caller-given work folder). */
export const OWNER_FILE = '.wbct-owner.json';

/**
 * Who owns a scratch folder: the process id plus what tells that process apart from a later one that reuses the id
 * (Linux: its start time in clock ticks since boot, and the boot id). `start` and `boot` are null where /proc is absent.
 */
export interface ScratchOwner {
  readonly pid: number;
  readonly start: string | null;
  readonly boot: string | null;
  readonly host: string;
}

export interface ScratchDir {
  readonly path: string;
  /** True when the folder was made here (and is removed by `release`). */
  readonly owned: boolean;
  /** Stale folders and files removed when it was opened (absolute paths). */
  readonly removed: readonly string[];
  /** Removes a folder made here; for a caller-given folder, removes only this process's owner marker. Idempotent. */
  release(): Promise<void>;
}

export interface ScratchDirOptions {
  /** The caller's work folder, kept across restarts; absent: a fresh folder under `tmpRoot`. */
  readonly workDir?: string;
  /** Where fresh folders go and stale ones are looked for (default `os.tmpdir()`). */
  readonly tmpRoot?: string;
}

function readText(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

const BOOT_ID = '/proc/sys/kernel/random/boot_id';

/** Field 3 (state) and field 22 (starttime) of /proc/<pid>/stat; the command name in field 2 may hold spaces and parentheses. */
function procStat(pid: number): { state: string; start: string } | null {
  const text = readText(`/proc/${pid}/stat`);
  if (text === null) return null;
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const start = fields[19];
  return state && start && /^\d+$/.test(start) ? { state, start } : null;
}

/** The identity of process `pid` as a marker records it (null when the process does not exist). */
export function ownerOf(pid: number): ScratchOwner | null {
  if (!processAlive(pid)) return null;
  return { pid, start: procStat(pid)?.start ?? null, boot: readText(BOOT_ID)?.trim() || null, host: os.hostname() };
}


/**
 * Whether the owner recorded in a marker may still be running. Unknowns count as alive: a folder is only ever
 * removed when its owner is known to be gone (another boot, no such process, a zombie, or a different process under
 * the same id). A marker from another host (a shared temp folder) is never judged.
 */
export function ownerAlive(owner: ScratchOwner): boolean {
  if (owner.host !== os.hostname()) return true;
  const boot = readText(BOOT_ID)?.trim() || null;
  if (owner.boot !== null && boot !== null && owner.boot !== boot) return false;
  if (!processAlive(owner.pid)) return false;
  const stat = procStat(owner.pid);
  if (stat === null) return true;
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return owner.start === null || owner.start === stat.start;
}

function parseOwner(text: string | null): ScratchOwner | null {
  if (text === null) return null;
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  const { pid, start, boot, host } = o;
  const nullableString = (x: unknown): x is string | null => x === null || typeof x === 'string';
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 0 || typeof host !== 'string' || !nullableString(start) || !nullableString(boot)) return null;
  return { pid, start, boot, host };
}

/** The owner marker of `dir`, or null when it has none or an unreadable one. */
export function readOwner(dir: string): ScratchOwner | null {
  const file = path.join(dir, OWNER_FILE);
  try {
    if (!fs.lstatSync(file).isFile()) return null;
  } catch {
    return null;
  }
  return parseOwner(readText(file));
}

function writeOwner(dir: string, owner: ScratchOwner): void {
  // Written under a temp name and renamed: a sweeping process never sees a half-written marker.
  const tmp = path.join(dir, `${OWNER_FILE}.${process.pid}.tmp`);
  fs.writeFileSync(tmp, JSON.stringify(owner));
  fs.renameSync(tmp, path.join(dir, OWNER_FILE));
}

function sameOwner(a: ScratchOwner, b: ScratchOwner): boolean {
  return a.pid === b.pid && a.start === b.start && a.boot === b.boot && a.host === b.host;
}

/**
 * Removes the scratch folders under `tmpRoot` whose owner is gone. Only real folders named `wbct-server-*` that hold a
 * readable owner marker are candidates; anything else (another program's files, a folder still being set up, one
 * from a version without markers, a symlink) is left alone.
 */
export function removeStaleScratchDirs(tmpRoot: string = os.tmpdir()): string[] {
  const removed: string[] = [];
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(tmpRoot, { withFileTypes: true });
  } catch {
    return removed;
  }
  for (const entry of entries) {
    if (!entry.isDirectory() || !entry.name.startsWith(SCRATCH_PREFIX)) continue;
    const dir = path.join(tmpRoot, entry.name);
    const owner = readOwner(dir);
    if (owner === null || ownerAlive(owner)) continue;
    try {
      fs.rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // Another process may be removing it at the same time, or it is not ours to remove: leave it.
    }
  }
  return removed;
}

/**
 * What a server leaves in its work folder while running: multipart parts (`uploads/`), infer results
 * (`tmp<hex>.<ext>`, `copy-tmp<hex>.<ext>`), uploads sent with infer (`.upload-<hex>.<ext>`) and atomic-write temp
 * files (`.<name>.<pid>.<hex>.tmp`). Sessions and anything else are kept.
 */
const RESULT_TEMP = [/^(copy-)?tmp[0-9a-f]{16}\.[A-Za-z.]+$/, /^\.upload-[0-9a-f]{16}\.[A-Za-z.]+$/, /^\..+\.\d+\.[0-9a-f]+\.tmp$/];

function removeStaleWork(workDir: string): string[] {
  const removed: string[] = [];
  const uploads = path.join(workDir, 'uploads');
  for (const name of fs.existsSync(uploads) ? fs.readdirSync(uploads) : []) {
    fs.rmSync(path.join(uploads, name), { recursive: true, force: true });
    removed.push(path.join(uploads, name));
  }
  for (const entry of fs.readdirSync(workDir, { withFileTypes: true })) {
    if (entry.isFile() && RESULT_TEMP.some((re) => re.test(entry.name))) {
      fs.rmSync(path.join(workDir, entry.name), { force: true });
      removed.push(path.join(workDir, entry.name));
    }
  }
  return removed;
}

/** Caller-given work folders open in this process, with how many servers use each (the marker cannot tell them apart). */
const OPEN_HERE = new Map<string, number>();

/**
 * The server's scratch folder. Without a `workDir`: a fresh `wbct-server-*` folder under the temp dir, marked with
 * this process's identity, after removing the folders of servers that died without cleaning up (kill -9, a crash,
 * power loss). With a `workDir`: that folder, emptied of what a previous run left in flight, unless its marker names
 * another live process (two servers sharing it: then nothing is removed).
 */
export function openScratchDir(options: ScratchDirOptions = {}): ScratchDir {
  const me = ownerOf(process.pid);
  if (me === null) throw new Error(`cannot identify this process (pid ${process.pid})`);
  if (options.workDir === undefined) {
    const tmpRoot = options.tmpRoot ?? os.tmpdir();
    const removed = removeStaleScratchDirs(tmpRoot);
    const dir = fs.mkdtempSync(path.join(tmpRoot, SCRATCH_PREFIX));
    writeOwner(dir, me);
    let released: Promise<void> | null = null;
    return { path: dir, owned: true, removed, release: () => (released ??= fs.promises.rm(dir, { recursive: true, force: true })) };
  }
  const dir = path.resolve(options.workDir);
  fs.mkdirSync(dir, { recursive: true });
  const previous = readOwner(dir);
  const users = OPEN_HERE.get(dir) ?? 0;
  const shared = users > 0 || (previous !== null && !sameOwner(previous, me) && ownerAlive(previous));
  const removed = shared ? [] : removeStaleWork(dir);
  if (!shared) writeOwner(dir, me);
  OPEN_HERE.set(dir, users + 1);
  let released: Promise<void> | null = null;
  const release = async () => {
    const left = (OPEN_HERE.get(dir) ?? 1) - 1;
    if (left > 0) return void OPEN_HERE.set(dir, left);
    OPEN_HERE.delete(dir);
    const owner = readOwner(dir);
    if (owner !== null && sameOwner(owner, me)) await fs.promises.rm(path.join(dir, OWNER_FILE), { force: true });
  };
  return { path: dir, owned: false, removed, release: () => (released ??= release()) };
}
