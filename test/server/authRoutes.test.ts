import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { loadAuthConfig } from '../../src/server/auth/authConfig';
import { hashPassword } from '../../src/server/auth/passwords';
import { serve, type RunningServer } from '../../src/server/serve';
import { defined } from '../helpers/defined';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { rawRequestHead, readRawResponse } from './harness/rawHttp';
import { startTestServer, type TestServer } from './harness/testServer';

const USERS = [
  { username: 'ursula', password: 'u-pw', roles: ['user'] },
  { username: 'anna', password: 'a-pw', roles: ['annotator'] },
  { username: 'root', password: 'r-pw', roles: ['admin'], email: 'root@x', name: 'Root' },
] as const;
type UserName = (typeof USERS)[number]['username'];

describe('auth on', () => {
  let t: TestServer;
  const tokens = new Map<UserName, string>();
  const tokenOf = (user: UserName) => defined(tokens.get(user), `a token of ${user} (beforeAll logs every user in)`);
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-users-'));
  beforeAll(async () => {
    const usersFile = path.join(configDir, 'users.json');
    const users = await Promise.all(USERS.map(async (u) => ({ ...u, password: await hashPassword(u.password) })));
    fs.writeFileSync(usersFile, JSON.stringify({ secret: 'x'.repeat(40), users }));
    t = await startTestServer({ segmenter: new GridCopySegmenter(), server: { auth: loadAuthConfig(usersFile, {}) } });
    for (const u of USERS) {
      const res = await request(t.server).post('/auth/token').type('form').send({ username: u.username, password: u.password, grant_type: 'password' }).expect(200);
      expect(Object.keys(res.body).sort()).toEqual(['access_token', 'token_type']);
      expect(res.body.token_type).toBe('bearer');
      tokens.set(u.username, `${res.body.token_type} ${res.body.access_token}`);
    }
  });
  afterAll(async () => {
    await t.close();
    fs.rmSync(configDir, { recursive: true, force: true });
  });

  test('discovery and token validation (no auth header needed on /auth/*)', async () => {
    expect((await request(t.server).get('/auth/').expect(200)).body).toEqual({ enabled: true, client_id: 'monailabel-app', realm: 'wbct' });
    expect((await request(t.server).get('/auth/token/valid').set('Authorization', tokenOf('root')).expect(200)).body).toEqual({ username: 'root', email: 'root@x', name: 'Root', roles: ['admin'] });
    const none = await request(t.server).get('/auth/token/valid').expect(401);
    expect(none.body).toEqual({ detail: 'Not authenticated' });
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect((await request(t.server).get('/auth/token/valid').set('Authorization', 'bearer nonsense').expect(401)).body).toEqual({ detail: 'Could not validate credentials' });
    expect((await request(t.server).post('/auth/token').type('form').send({ username: 'root', password: 'wrong' }).expect(401)).body.detail).toMatch(/Incorrect/);
    expect((await request(t.server).post('/auth/token').type('form').send({ username: 'root' }).expect(400)).body.detail).toMatch(/password/);
  });

  test.each([
    ['GET', '/info/', 'user'],
    ['GET', '/datastore/?output=all', 'user'],
    ['PUT', '/datastore/?image=x', 'annotator'],
    ['PUT', '/datastore/label?image=x', 'annotator'],
    ['POST', '/activelearning/first', 'user'],
    ['POST', '/infer/wholeBody_ct_segmentation?image=x', 'user'],
    ['GET', '/train/', 'user'],
    ['POST', '/train/wholeBody_ct_segmentation', 'admin'],
    ['DELETE', '/train/', 'admin'],
    ['GET', '/logs/', 'admin'],
    ['GET', '/model/info/wholeBody_ct_segmentation', 'admin'],
    ['POST', '/scoring/dice', 'annotator'],
    ['POST', '/batch/infer/wholeBody_ct_segmentation', 'annotator'],
  ])('%s %s needs role %s', async (method, url, role) => {
    const call = (auth?: string) => {
      const r = request(t.server)[method.toLowerCase() as 'get' | 'put' | 'post' | 'delete'](url);
      return auth ? r.set('Authorization', auth) : r;
    };
    const anonymous = await call();
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({ detail: 'Not authenticated' });
    const below = role === 'admin' ? tokenOf('anna') : role === 'annotator' ? tokenOf('ursula') : null;
    if (below) expect((await call(below)).body).toEqual({ detail: `Role "${role}" is required to perform this action` });
    const allowed = role === 'user' ? tokenOf('ursula') : role === 'annotator' ? tokenOf('anna') : tokenOf('root');
    expect([401, 403]).not.toContain((await call(allowed)).status);
  });

  test('the uploader name is recorded as user', async () => {
    const file = await t.imageFile('a.nii.gz');
    await request(t.server).put('/datastore/?image=a').set('Authorization', tokenOf('anna')).field('params', '{}').attach('file', file).expect(200);
    const all = (await request(t.server).get('/datastore/?output=all').set('Authorization', tokenOf('ursula')).expect(200)).body;
    expect(all.objects.a.image.info.user).toBe('anna');
  });
});

describe("GET/DELETE never wait for a body (a reused Python client's stale content-length)", () => {
  let t: TestServer;
  let running: RunningServer;
  beforeAll(async () => {
    t = await startTestServer({ segmenter: new GridCopySegmenter() });
    running = await serve(t.server, { port: 0, handleSignals: false });
  });
  afterAll(async () => {
    await running.close();
    fs.rmSync(t.root, { recursive: true, force: true });
  });

  test.each([
    ['GET', '/info/'],
    ['GET', '/datastore/?output=all'],
    ['GET', '/train/?check_if_running=true'],
    ['DELETE', '/train/'],
  ])('%s %s answers before the announced body is sent', async (method, url) => {
    const stale = Buffer.alloc(328, 'x');
    const socket = net.connect(running.port, '127.0.0.1');
    const order: string[] = [];
    const answer = readRawResponse(socket).then((res) => {
      order.push('answer');
      return res;
    });
    socket.write(rawRequestHead(running.port, method, url, ['content-type: multipart/form-data; boundary=xyz', `content-length: ${stale.length}`]));
    // The announced body goes out only once the answer is in. The fallback sends it anyway, so that a server waiting
    // for it answers afterwards (the order below then fails) instead of hanging the test.
    let fallback: NodeJS.Timeout | undefined;
    await Promise.race([answer, new Promise((resolve) => (fallback = setTimeout(resolve, 10_000)))]);
    clearTimeout(fallback);
    order.push('body sent');
    if (!socket.destroyed) socket.write(stale);
    const res = await answer;
    expect(order).toEqual(['answer', 'body sent']);
    expect([200, 404]).toContain(res.status);
    expect(res.header('content-type')).toMatch(/application\/json/);
  });
});
