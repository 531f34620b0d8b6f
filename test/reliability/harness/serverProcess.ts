import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { projectRoot } from '../../../src/util/projectRoot';
import { TINY_MODEL } from '../../server/harness/realRunner';

export const CLI = path.join(projectRoot(), 'dist', 'src', 'cli', 'main.js');

export interface ServerProcessOptions {
  /** The studies folder (kept across restarts when the caller passes the same one), or a DICOMweb URL. */
  readonly studiesDir: string;
  /** Holds model.pt / model_lowres.pt; filled with the tiny weights when empty. */
  readonly modelsDir: string;
  /** More `wbct serve` flags (`--auth users.json`, limits, ...). */
  readonly args?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** false: start with the models folder as it is, and let the server try to pull missing weights (default: tiny weights, --no-pull). */
  readonly tinyModels?: boolean;
}

/** A real `wbct serve` child process: what a crash, a hang or kill -9 does is seen as it would be in production. */
export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** stderr so far (the server's own messages). */
  stderr(): string;
  /** True while the process has not exited. */
  alive(): boolean;
  /** Resolves with the exit code / signal once the process is gone. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL, then wait for the exit. */
  kill9(): Promise<void>;
  /** SIGTERM (graceful), SIGKILL after 15 s. */
  stop(): Promise<void>;
}

/** Copies the tiny SegResNet in as both resolutions unless weights are already there. */
export function provideTinyModels(modelsDir: string): void {
  fs.mkdirSync(modelsDir, { recursive: true });
  for (const name of ['model.pt', 'model_lowres.pt']) {
    const file = path.join(modelsDir, name);
    if (!fs.existsSync(file)) fs.copyFileSync(TINY_MODEL, file);
  }
}

export function tempRoot(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Starts `wbct serve --port 0 --no-pull` (with the tiny weights) and resolves once it prints the URL it listens on (60 s at most). */
export function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const tiny = options.tinyModels ?? true;
  if (tiny) provideTinyModels(options.modelsDir);
  const child = spawn(
    process.execPath,
    [CLI, 'serve', '--studies', options.studiesDir, '--models', options.modelsDir, '--port', '0', ...(tiny ? ['--no-pull'] : []), '--threads', '1', ...(options.args ?? [])],
    { env: { ...process.env, ...options.env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  let exitedFlag = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitedFlag = true;
      resolve({ code, signal });
    });
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`wbct serve did not start within 60 s; stderr:\n${stderr}`));
    }, 60_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const url = /wbct serving .* at (http:\/\/\S+)/.exec(stderr)?.[1];
      if (url !== undefined && timer) {
        clearTimeout(timer);
        resolve({
          url,
          child,
          stderr: () => stderr,
          alive: () => !exitedFlag,
          exited,
          kill9: async () => {
            if (!exitedFlag) child.kill('SIGKILL');
            await exited;
          },
          stop: async () => {
            if (exitedFlag) return;
            child.kill('SIGTERM');
            const force = setTimeout(() => child.kill('SIGKILL'), 15_000);
            await exited;
            clearTimeout(force);
          },
        });
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`wbct serve exited before listening (code ${code}, signal ${signal}); stderr:\n${stderr}`));
    });
  });
}
