import * as fs from 'node:fs';
import * as path from 'node:path';
import { AcknowledgedWrites } from './acknowledgedWrites';
import { call } from './httpCalls';
import { recordCase } from './ledger';
import { datastoreLeftovers, leftByKill, scratchLeftovers } from './leftovers';
import type { NiftiPayloads } from './niftiPayloads';
import { startServerProcess, tempRoot, type ServerProcess } from './serverProcess';

export interface PointResult {
  /** Everything that breaks the crash-safety rules (empty when the point passed). */
  readonly problems: string[];
  /** What the case recorded: write counts, and anything notable that is not a problem (phantoms). */
  readonly detail: string;
}

/** A point's own checks after the restart: problems fail it, notes go into the case's detail. */
export interface MoreChecks {
  readonly problems: readonly string[];
  readonly notes: readonly string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One studies folder, models folder and temp folder (the server's TMPDIR, where its scratch folders go) that a real
 * `wbct serve` process runs on, is killed with SIGKILL at a chosen moment, and is restarted on, again and again. Each
 * `point` checks the restarted server against every write acknowledged so far and records the case.
 */
export class KillRestartRig {
  readonly writes = new AcknowledgedWrites();
  private current: ServerProcess;
  private bgCounter = 0;
  /** The server a kill was sent to (its exit may not have been seen yet). */
  private killSent: ServerProcess | null = null;

  private constructor(
    readonly base: string,
    readonly studiesDir: string,
    readonly modelsDir: string,
    readonly tmpRoot: string,
    first: ServerProcess,
  ) {
    this.current = first;
  }

  static async start(prefix: string): Promise<KillRestartRig> {
    const base = tempRoot(prefix);
    const studiesDir = path.join(base, 'studies');
    const modelsDir = path.join(base, 'models');
    const tmpRoot = path.join(base, 'tmp');
    fs.mkdirSync(tmpRoot, { recursive: true });
    const server = await startServerProcess({ studiesDir, modelsDir, env: { TMPDIR: tmpRoot } });
    return new KillRestartRig(base, studiesDir, modelsDir, tmpRoot, server);
  }

  get server(): ServerProcess {
    return this.current;
  }

  get url(): string {
    return this.current.url;
  }

  /** SIGKILL now (the signal goes out before this returns its promise). */
  kill9(): Promise<void> {
    this.killSent = this.current;
    return this.current.kill9();
  }

  /**
   * Kills the server as soon as a file whose name matches `name` appears or changes in `dir` (inotify, so the kill
   * lands within a few milliseconds of the server's own step). Resolves with the name seen; `cancel` stops watching.
   */
  killOnFile(dir: string, name: RegExp): { fired: Promise<string>; firedWithin(ms: number): Promise<string>; cancel(): void } {
    fs.mkdirSync(dir, { recursive: true });
    let watcher: fs.FSWatcher | null = null;
    let cancel = () => undefined as void;
    const fired = new Promise<string>((resolve) => {
      watcher = fs.watch(dir, (_event, file) => {
        if (file === null || !name.test(file.toString())) return;
        void this.kill9();
        watcher?.close();
        resolve(file.toString());
      });
      cancel = () => {
        watcher?.close();
        resolve('');
      };
    });
    const firedWithin = (ms: number) => {
      const timer = setTimeout(() => cancel(), ms);
      return fired.finally(() => clearTimeout(timer));
    };
    return { fired, firedWithin, cancel: () => cancel() };
  }

  /**
   * Small image and label writes (ids `bg-0..3`, each write new bytes; replacing an image drops its label) one after
   * another until the server stops answering: acknowledged writes right up to the kill.
   */
  async backgroundWrites(payloads: NiftiPayloads, pauseMs = 40): Promise<void> {
    const server = this.current;
    while (server.alive() && this.killSent !== server) {
      const n = this.bgCounter++;
      const id = `bg-${n % 4}`;
      if ((await this.writes.putImage(server.url, id, payloads.imageBytes(1_000_000 + n))) === 'unknown') return;
      if ((await this.writes.putLabel(server.url, id, 'bg', payloads.labelBytes(1_000_000 + n))) === 'unknown') return;
      await sleep(pauseMs);
    }
  }

  /** Runs `action` (which must kill the server) while `backgroundWrites` runs, and waits for both. */
  async withBackgroundWrites(payloads: NiftiPayloads, action: () => Promise<void>, pauseMs?: number): Promise<void> {
    const lane = this.backgroundWrites(payloads, pauseMs);
    try {
      await action();
      if (this.killSent !== this.current) throw new Error('the action returned without killing the server');
    } catch (e) {
      await this.kill9();
      await lane;
      throw e;
    }
    await lane;
  }

  /**
   * One kill point: `action` runs the writes and must kill the server; the server is restarted on the same folders
   * and checked: it starts and answers `/info/`, every acknowledged write reads back byte for byte (and nothing that
   * was never written appears), no temp or partial file is left in the studies and label folders or scratch
   * folders, and `moreChecks` holds. The case goes into the robustness ledger as `accepted` or `lost-write`
   * (`crash` if the server died before the kill or does not come back).
   */
  async point(name: string, action: (rig: this) => Promise<void>, moreChecks?: (rig: this) => Promise<MoreChecks>): Promise<PointResult> {
    const before = this.current;
    const counts = this.writes.outcomes();
    let failed: Error | null = null;
    try {
      await action(this);
      if (this.killSent !== before) throw new Error(`kill point "${name}": the action returned without killing the server`);
    } catch (e) {
      failed = e instanceof Error ? e : new Error(`kill point "${name}" failed: ${JSON.stringify(e)}`);
      if (this.killSent !== before) await this.kill9();
    }
    const ended = await before.exited;
    // A server that was gone before the kill reached it crashed on its own.
    const crashed = ended.signal !== 'SIGKILL' ? `the server exited by itself (code ${ended.code}, signal ${ended.signal}): ${before.stderr().slice(-800)}` : null;
    if (crashed) recordCase({ area: 'kill-9', name, outcome: 'crash', detail: crashed });
    const left = leftByKill(this.studiesDir, this.tmpRoot);
    try {
      this.current = await startServerProcess({ studiesDir: this.studiesDir, modelsDir: this.modelsDir, env: { TMPDIR: this.tmpRoot } });
    } catch (e) {
      if (!crashed) recordCase({ area: 'kill-9', name, outcome: 'crash', detail: `the restart failed: ${(e as Error).message.slice(0, 500)}` });
      throw e;
    }
    const problem = crashed !== null ? new Error(crashed) : failed;
    if (problem !== null) {
      // Recorded as a crash above, or the point did not go as planned (a test problem, not a case): settle the
      // writes on the new server so that the next points start from what is there, and report.
      await this.writes.verify(this.url);
      throw problem;
    }
    const problems: string[] = [];
    const info = await call(`${this.url}/info/`);
    if (info.status !== 200) problems.push(`GET /info/ answered ${info.status}`);
    const { lost, other, phantoms } = await this.writes.verify(this.url);
    // An unanswered upload may or may not be there after a kill, but never under another id (the index names the file first).
    problems.push(...lost, ...other, ...phantoms.map((p) => `wrong id: ${p}`));
    for (const f of datastoreLeftovers(this.studiesDir)) problems.push(`left in the datastore: ${path.relative(this.base, f)}`);
    for (const f of scratchLeftovers(this.tmpRoot, this.current.child.pid!)) problems.push(`left in scratch: ${path.relative(this.base, f)}`);
    const more = moreChecks ? await moreChecks(this) : { problems: [], notes: [] };
    problems.push(...more.problems);
    const after = this.writes.outcomes();
    if (after.refused > counts.refused) problems.push(`${after.refused - counts.refused} write(s) refused (statuses ${[...new Set(this.writes.answered().filter((s) => s !== 200))].join(', ')})`);
    const notes = `; left by the kill: ${left.length ? left.join(', ') : 'nothing'}${more.notes.map((n) => `; ${n}`).join('')}`;
    const detail = `writes acknowledged ${after.acknowledged - counts.acknowledged}, cut off ${after.unknown - counts.unknown}, refused ${after.refused - counts.refused}${notes}`;
    recordCase({ area: 'kill-9', name, outcome: problems.length === 0 ? 'accepted' : 'lost-write', detail: problems.length ? `${detail}; ${problems.join('; ').slice(0, 1500)}` : detail });
    return { problems, detail };
  }

  async close(): Promise<void> {
    await this.current.stop();
    fs.rmSync(this.base, { recursive: true, force: true });
  }
}
