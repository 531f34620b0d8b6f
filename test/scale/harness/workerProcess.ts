import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from '../../reliability/harness/serverProcess';

/** A real `wbct worker` child process. */
export interface WorkerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  log(): string;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

export function startWorker(options: { name: string; queue: string; server: string; token: string; cacheDir: string; lockSeconds?: number }): Promise<WorkerProcess> {
  const child = spawn(
    process.execPath,
    [CLI, 'worker', '--queue', options.queue, '--server', options.server, '--name', options.name, '--threads', '1', '--cache', options.cacheDir, '--lock-seconds', String(options.lockSeconds ?? 2)],
    { env: { ...process.env, WBCT_WORKER_TOKEN: options.token }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stopWith = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`wbct worker ${options.name} did not start within 60 s:\n${log}`));
    }, 60_000);
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.includes('taking jobs from')) {
        clearTimeout(timer);
        resolve({ name: options.name, child, log: () => log, kill9: () => stopWith('SIGKILL'), stop: () => stopWith('SIGTERM') });
      }
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`wbct worker ${options.name} exited before it started:\n${log}`));
    });
  });
}
