import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { writeVolumeFile, testImage } from '../server/harness/imageFiles';
import { slicerMultipartBody } from '../server/harness/rawHttp';
import { describeWithRunner } from '../server/harness/realRunner';
import { recordCase } from './harness/ledger';
import { startServerProcess, tempRoot, type ServerProcess } from './harness/serverProcess';

/**
 * A client can hang up at any byte of an upload (Slicer's cancel, a dropped link) or send a body that ends early:
 * the server must stay up for everyone else and keep nothing of the cut upload. Runs against a real `wbct serve`
 * process, so a crash is the process exiting, as it was on every one of these routes before the fix.
 */

const ROUTES = [
  { name: 'PUT /datastore/ (image)', method: 'PUT', target: '/datastore/?image=cut', field: 'file', filename: 'cut.nii' },
  { name: 'PUT /datastore/label', method: 'PUT', target: '/datastore/label?image=ct&tag=final', field: 'label', filename: 'ct.nii' },
  { name: 'POST /infer (file)', method: 'POST', target: '/infer/wholeBody_ct_segmentation', field: 'file', filename: 'cut.nii' },
  { name: 'PUT /session/', method: 'PUT', target: '/session/', field: 'files', filename: 'cut.nii' },
] as const;

type Cut =
  | { readonly kind: 'disconnect'; readonly at: (bodyLength: number, fileStart: number) => number }
  | { readonly kind: 'half-close'; readonly at: (bodyLength: number, fileStart: number) => number }
  | { readonly kind: 'no-final-boundary' }
  | { readonly kind: 'chunked-disconnect'; readonly at: (bodyLength: number, fileStart: number) => number };

const CUTS: ReadonlyArray<{ readonly name: string; readonly cut: Cut }> = [
  { name: 'disconnect after the headers', cut: { kind: 'disconnect', at: () => 0 } },
  { name: 'disconnect inside the params part', cut: { kind: 'disconnect', at: () => 40 } },
  { name: 'disconnect 10 bytes into the file', cut: { kind: 'disconnect', at: (_n, f) => f + 10 } },
  { name: 'disconnect mid-file', cut: { kind: 'disconnect', at: (n) => Math.floor(n / 2) } },
  { name: 'disconnect before the final boundary', cut: { kind: 'disconnect', at: (n) => n - 20 } },
  { name: 'body shorter than Content-Length, then half-close', cut: { kind: 'half-close', at: (n) => Math.floor(n * 0.7) } },
  { name: 'complete body without the final boundary', cut: { kind: 'no-final-boundary' } },
  { name: 'chunked body, disconnect mid-chunk', cut: { kind: 'chunked-disconnect', at: (n) => Math.floor(n / 3) } },
];

/** Sends the cut request; resolves with the status line if the server answered before the socket closed. */
function sendCut(port: number, route: (typeof ROUTES)[number], body: { contentType: string; bytes: Buffer }, fileStart: number, cut: Cut): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      socket.destroy();
      const m = /^HTTP\/1\.1 (\d{3})/.exec(answer);
      resolve(m ? Number(m[1]) : null);
    };
    socket.on('data', (d) => {
      answer += d.toString('latin1');
      if (answer.includes('\r\n\r\n')) setTimeout(settle, 50);
    });
    socket.on('close', settle);
    socket.on('error', settle);
    const head = [`${route.method} ${route.target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, `content-type: ${body.contentType}`];
    if (cut.kind === 'chunked-disconnect') {
      socket.write(`${[...head, 'transfer-encoding: chunked'].join('\r\n')}\r\n\r\n`);
      const n = cut.at(body.bytes.length, fileStart);
      socket.write(`${body.bytes.length.toString(16)}\r\n`);
      socket.write(body.bytes.subarray(0, n), () => setTimeout(() => socket.destroy(), 100));
      return;
    }
    const bytes = cut.kind === 'no-final-boundary' ? body.bytes.subarray(0, body.bytes.lastIndexOf('--') - 40) : body.bytes;
    socket.write(`${[...head, `content-length: ${bytes.length}`].join('\r\n')}\r\n\r\n`);
    if (cut.kind === 'no-final-boundary') {
      socket.write(bytes);
      setTimeout(settle, 5000).unref(); // the server must answer a complete but malformed body; give it time
      return;
    }
    const n = cut.at(bytes.length, fileStart);
    socket.write(bytes.subarray(0, n), () => {
      if (cut.kind === 'half-close') {
        socket.end();
        setTimeout(settle, 3000).unref();
      } else setTimeout(() => socket.destroy(), 100);
    });
  });
}

async function getJson(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

describeWithRunner('aborted and truncated multipart uploads (real server process)', () => {
  let root: string;
  let server: ServerProcess;
  let port: number;
  let image: Buffer;
  let before: unknown;

  beforeAll(async () => {
    root = tempRoot('wbct-aborted-');
    const studies = path.join(root, 'studies');
    await writeVolumeFile(path.join(studies, 'ct.nii'), testImage([64, 64, 32]));
    image = fs.readFileSync(path.join(studies, 'ct.nii'));
    server = await startServerProcess({ studiesDir: studies, modelsDir: path.join(root, 'models') });
    port = Number(new URL(server.url).port);
    before = (await getJson(`${server.url}/datastore/?output=all`)).body;
  });

  afterAll(async () => {
    await server?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const cases = ROUTES.flatMap((route) => CUTS.map((c) => ({ route, ...c })));
  it.each(cases)('$route.name: $name -> the server stays up and answers the next request', async ({ route, name, cut }) => {
    const body = slicerMultipartBody({}, [{ field: route.field, filename: route.filename, bytes: image }]);
    const fileStart = body.bytes.indexOf('\r\n\r\n', body.bytes.indexOf(`name="${route.field}"`)) + 4;
    const status = await sendCut(port, route, body, fileStart, cut);
    // Give a crashing server the moment it needs to exit.
    await new Promise((r) => setTimeout(r, 150));
    const alive = server.alive();
    const info = alive ? await getJson(`${server.url}/info/`).catch(() => ({ status: 0, body: null })) : { status: 0, body: null };
    const outcome = !alive ? 'crash' : info.status !== 200 ? 'hang' : status !== null && status >= 500 ? '5xx' : status !== null && status < 400 ? 'escalation' : 'refused';
    recordCase({ area: 'aborted-upload', name: `${route.name}: ${name}`, outcome, ...(status !== null ? { status } : {}) });
    expect({ alive, info: info.status }).toEqual({ alive: true, info: 200 });
    if (cut.kind === 'no-final-boundary') expect(status).toBe(400);
    else if (status !== null) expect(status).toBeGreaterThanOrEqual(400);
    if (status !== null) expect(status).toBeLessThan(500);
  });

  it('keeps nothing of the cut uploads: the datastore is as before', async () => {
    expect((await getJson(`${server.url}/datastore/?output=all`)).body).toEqual(before);
    const studies = path.join(root, 'studies');
    const stray = [...fs.readdirSync(studies), ...fs.readdirSync(path.join(studies, 'labels')).flatMap((t) => fs.readdirSync(path.join(studies, 'labels', t)))].filter((f) => f.startsWith('.upload-'));
    expect(stray).toEqual([]);
  });
});
