import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURES_DIR } from '../helpers/oracle';
import { runWbct } from './cliHarness';

const weights = fs.readFileSync(path.join(FIXTURES_DIR, 'model', 'segresnet105_tiny_seed1.pt'));
const md5 = createHash('md5').update(weights).digest('hex');

/** Serves the weights on 127.0.0.1 with Range support; `cutAt` makes the first full request stop early. */
function weightsServer(cutAt?: number): Promise<{ url: string; ranges: string[]; close: () => Promise<void> }> {
  const ranges: string[] = [];
  let cut = cutAt;
  const server = http.createServer((req, res) => {
    const range = req.headers.range;
    ranges.push(range ?? 'none');
    const start = range ? Number(/bytes=(\d+)-/.exec(range)![1]) : 0;
    const body = weights.subarray(start);
    res.writeHead(range ? 206 : 200, { 'Content-Length': body.length, 'Content-Type': 'application/octet-stream' });
    if (cut !== undefined) {
      res.write(body.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 50));
      cut = undefined;
      return;
    }
    res.end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/model_lowres.pt`,
        ranges,
        close: () => new Promise((r) => server.close(() => r())),
      }),
    ),
  );
}

describe('wbct models pull', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-pull-'))));
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('downloads, verifies the md5, renames into place and converts to ONNX', async () => {
    const srv = await weightsServer();
    try {
      const r = await runWbct(['models', 'pull', 'lowres', '--models', dir, '--url', srv.url, '--md5', md5]);
      expect(r.stderr).toMatch(/lowres: .*model_lowres\.pt ready/);
      expect(r.code).toBe(0);
    } finally {
      await srv.close();
    }
    expect(fs.readFileSync(path.join(dir, 'model_lowres.pt')).equals(weights)).toBe(true);
    expect(fs.readdirSync(dir).filter((f) => /^model_lowres\.[0-9a-f]{16}\.onnx$/.test(f))).toHaveLength(1);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
  });

  test('an interrupted download resumes with a Range request', async () => {
    const srv = await weightsServer(1_000_000);
    try {
      const first = await runWbct(['models', 'pull', 'lowres', '--models', dir, '--url', srv.url, '--md5', md5]);
      expect(first.code).toBe(1);
      expect(first.stderr).toMatch(/connection closed after \d+ of \d+ bytes|aborted|ECONNRESET/);
      const kept = fs.statSync(path.join(dir, 'model_lowres.pt.partial')).size;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(weights.length);
      expect(fs.existsSync(path.join(dir, 'model_lowres.pt'))).toBe(false);
      const second = await runWbct(['models', 'pull', 'lowres', '--models', dir, '--url', srv.url, '--md5', md5]);
      expect(second.code).toBe(0);
      expect(srv.ranges).toEqual(['none', `bytes=${kept}-`]);
    } finally {
      await srv.close();
    }
    expect(fs.readFileSync(path.join(dir, 'model_lowres.pt')).equals(weights)).toBe(true);
  });

  test('a checksum mismatch leaves nothing behind', async () => {
    const srv = await weightsServer();
    try {
      const r = await runWbct(['models', 'pull', 'lowres', '--models', dir, '--url', srv.url, '--md5', '0'.repeat(32)]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/md5 [0-9a-f]{32} does not match the expected 0{32}/);
    } finally {
      await srv.close();
    }
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('offline: fails fast naming the URL and how to place the file by hand', async () => {
    const srv = await weightsServer();
    const url = srv.url;
    await srv.close(); // nothing listens there now: connection refused, like a machine without network
    const r = await runWbct(['models', 'pull', 'lowres', '--models', dir, '--url', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(url);
    expect(r.stderr).toMatch(/place it at .*model_lowres\.pt/);
  });
});
