import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { freePort } from '../../helpers/freePort';
import * as path from 'node:path';
import { waitFor } from '../../helpers/waitFor';

export const REDIS_SERVER = process.env.WBCT_REDIS_SERVER ?? '/usr/bin/redis-server';

/** Why the distributed tests cannot run here, or null. */
export function redisUnavailable(): string | null {
  if (!fs.existsSync(REDIS_SERVER)) return `no redis-server at ${REDIS_SERVER} (apt-get install redis-server, or set WBCT_REDIS_SERVER)`;
  return spawnSync(REDIS_SERVER, ['--version']).status === 0 ? null : `${REDIS_SERVER} --version failed`;
}

export function describeWithRedis(name: string, fn: () => void): void {
  const missing = redisUnavailable();
  if (missing) describe.skip(`${name} [SKIPPED: ${missing}]`, fn);
  else describe(name, fn);
}

export 
function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.write('PING\r\n');
      socket.once('data', (d) => {
        socket.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
    });
    socket.once('error', () => resolve(false));
  });
}

/** A throw-away redis-server on 127.0.0.1: its own port and data folder, no persistence; stop and start it again on the same port. */
export class TestRedis {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(dir: string): Promise<TestRedis> {
    fs.mkdirSync(dir, { recursive: true });
    const redis = new TestRedis(await freePort(), dir);
    await redis.startAgain();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async startAgain(): Promise<void> {
    this.child = spawn(REDIS_SERVER, ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], {
      stdio: ['ignore', fs.openSync(path.join(this.dir, 'redis.log'), 'a'), 'inherit'],
    });
    await waitFor(() => answers(this.port), { what: `redis-server on port ${this.port} to answer`, timeoutMs: 10_000, intervalMs: 50 });
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
}
