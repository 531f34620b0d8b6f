import * as fs from 'node:fs';
import * as path from 'node:path';
import { OWNER_FILE, SCRATCH_PREFIX, readOwner } from '../../../src/server/scratchDir';

function entries(dir: string): fs.Dirent[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Hidden files (temp and staged uploads) in the studies folder and its label folders: none may survive a start-up. */
export function datastoreLeftovers(studiesDir: string): string[] {
  const found: string[] = [];
  const labels = path.join(studiesDir, 'labels');
  for (const dir of [studiesDir, ...entries(labels).filter((e) => e.isDirectory()).map((e) => path.join(labels, e.name))]) {
    for (const e of entries(dir)) if (e.name.startsWith('.')) found.push(path.join(dir, e.name));
  }
  return found;
}

/**
 * Scratch folders under `tmpRoot` (the server's TMPDIR) besides the one of the live server `pid` (those of dead
 * servers), and in the live one anything but its marker and empty `uploads`/`sessions`. Other programs' files in
 * the temp folder are not the server's and are not looked at.
 */
export function scratchLeftovers(tmpRoot: string, pid: number): string[] {
  const found: string[] = [];
  const mine = entries(tmpRoot).filter((e) => e.isDirectory() && e.name.startsWith(SCRATCH_PREFIX) && readOwner(path.join(tmpRoot, e.name))?.pid === pid);
  if (mine.length !== 1) found.push(`${mine.length} scratch folders owned by the live server (pid ${pid}) in ${tmpRoot}`);
  for (const e of entries(tmpRoot)) {
    if (!e.name.startsWith(SCRATCH_PREFIX)) continue;
    const full = path.join(tmpRoot, e.name);
    if (!mine.some((m) => m.name === e.name)) {
      found.push(full);
      continue;
    }
    for (const inner of entries(full)) {
      const sub = path.join(full, inner.name);
      if (inner.name === OWNER_FILE) continue;
      if (inner.isDirectory() && (inner.name === 'uploads' || inner.name === 'sessions') && entries(sub).length === 0) continue;
      found.push(sub);
    }
  }
  return found;
}

/** Hidden temp files in the models folder and `versions/` (a checkpoint or a conversion cut short). */
export function modelTempFiles(modelsDir: string): string[] {
  const found: string[] = [];
  for (const dir of [modelsDir, path.join(modelsDir, 'versions')]) {
    for (const e of entries(dir)) if (e.isFile() && e.name.startsWith('.')) found.push(path.join(dir, e.name));
  }
  return found;
}

/** Files under `dir` (recursive) with their sizes, relative to `dir`. */
function filesUnder(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of entries(path.join(dir, rel))) {
    const sub = path.join(rel, e.name);
    if (e.isDirectory()) out.push(...filesUnder(dir, sub));
    else if (e.isFile()) out.push(`${sub} (${fs.statSync(path.join(dir, sub)).size} B)`);
  }
  return out;
}

/** What a killed server left for the next start-up to clean: hidden files in the datastore, files in its scratch folders. */
export function leftByKill(studiesDir: string, tmpRoot: string): string[] {
  const found = datastoreLeftovers(studiesDir).map((f) => path.relative(studiesDir, f));
  for (const e of entries(tmpRoot)) {
    if (!e.isDirectory() || !e.name.startsWith(SCRATCH_PREFIX)) continue;
    for (const f of filesUnder(path.join(tmpRoot, e.name))) if (!f.startsWith(OWNER_FILE)) found.push(`scratch ${f}`);
  }
  return found;
}
