import { createHmac } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { signJwt } from '../../src/server/auth/jwt';
import { satisfiesRole, type Role } from '../../src/server/auth/roles';
import { defined } from '../helpers/defined';
import { authConfigFor, loginAll, TEST_SECRET, type TestUser } from '../server/authTestUsers';
import { GridCopySegmenter } from '../server/harness/gridCopySegmenter';
import { testImage, testLabel, writeVolumeFile } from '../server/harness/imageFiles';
import { startTestServer, type TestServer } from '../server/harness/testServer';
import { recordCase, type CaseOutcome } from './harness/ledger';

/**
 * The auth matrix: every endpoint of src/server/README.md's table x caller (no token, user, annotator, reviewer,
 * admin) x token kind, against one in-process server with auth on; then session ownership, login throttling and
 * write-escalation probes. Every case is asserted and recorded in the robustness ledger (area `auth`).
 *
 * Requests that pass auth are kept from doing work: JSON routes get a body that does not parse (400 after the
 * guard), upload routes a multipart body without its file (422), id routes an id that does not exist (404).
 */

const AREA = 'auth';
const MODEL = 'wholeBody_ct_segmentation';
const NO_SESSION = '00000000-0000-1000-8000-000000000000';

const USERS = [
  { username: 'ursula', password: 'ursula-pw', roles: ['user'] },
  { username: 'anna', password: 'anna-pw', roles: ['annotator'] },
  { username: 'rita', password: 'rita-pw', roles: ['reviewer'] },
  { username: 'root', password: 'root-pw', roles: ['admin'] },
  { username: 'uma', password: 'uma-pw', roles: ['user'] },
] as const satisfies readonly TestUser[];
type UserName = (typeof USERS)[number]['username'];
const CALLER_ROLES = ['user', 'annotator', 'reviewer', 'admin'] as const;
const USER_OF: Record<(typeof CALLER_ROLES)[number], UserName> = { user: 'ursula', annotator: 'anna', reviewer: 'rita', admin: 'root' };

type Req = request.Test;
/** `none`: no auth at all; `token`: a valid token of any role (`/auth/token/valid`); else the role needed. */
type Needs = 'none' | 'token' | Role;

interface Endpoint {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  /** As the README's endpoint table writes it. */
  readonly path: string;
  readonly url: string;
  readonly needs: Needs;
  readonly body?: (r: Req) => Req;
}

const brokenJson = (r: Req) => r.set('Content-Type', 'application/json').send('{');
const multipartWithoutFile = (r: Req) => r.field('params', '{}');

const ENDPOINTS: readonly Endpoint[] = [
  { method: 'get', path: '/auth/', url: '/auth/', needs: 'none' },
  { method: 'post', path: '/auth/token', url: '/auth/token', needs: 'none' },
  { method: 'get', path: '/auth/token/valid', url: '/auth/token/valid', needs: 'token' },
  { method: 'get', path: '/info/', url: '/info/', needs: 'user' },
  { method: 'post', path: '/activelearning/{strategy}', url: '/activelearning/first', needs: 'user', body: brokenJson },
  { method: 'get', path: '/datastore/', url: '/datastore/?output=stats', needs: 'user' },
  { method: 'put', path: '/datastore/', url: '/datastore/?image=matrix', needs: 'annotator', body: multipartWithoutFile },
  { method: 'put', path: '/datastore/image', url: '/datastore/image?image=matrix', needs: 'annotator', body: multipartWithoutFile },
  { method: 'get', path: '/datastore/image', url: '/datastore/image?image=no-such-image', needs: 'user' },
  { method: 'put', path: '/datastore/label', url: '/datastore/label?image=case001&tag=final', needs: 'annotator', body: multipartWithoutFile },
  { method: 'get', path: '/datastore/label', url: '/datastore/label?label=no-such-image&tag=final', needs: 'user' },
  { method: 'post', path: '/infer/{model}', url: `/infer/${MODEL}`, needs: 'user', body: multipartWithoutFile },
  { method: 'get', path: '/train/', url: '/train/', needs: 'user' },
  { method: 'post', path: '/train/{model}', url: `/train/${MODEL}`, needs: 'admin', body: brokenJson },
  { method: 'post', path: '/train/', url: '/train/', needs: 'admin', body: brokenJson },
  { method: 'delete', path: '/train/', url: '/train/', needs: 'admin' },
  { method: 'put', path: '/session/', url: '/session/', needs: 'user', body: multipartWithoutFile },
  { method: 'get', path: '/session/{id}', url: `/session/${NO_SESSION}`, needs: 'user' },
  { method: 'delete', path: '/session/{id}', url: `/session/${NO_SESSION}`, needs: 'user' },
  { method: 'post', path: '/scoring/{method}', url: '/scoring/dice', needs: 'annotator', body: brokenJson },
  { method: 'post', path: '/scoring/', url: '/scoring/', needs: 'annotator', body: brokenJson },
  { method: 'get', path: '/scoring/', url: '/scoring/', needs: 'user' },
  { method: 'delete', path: '/scoring/', url: '/scoring/', needs: 'admin' },
  { method: 'post', path: '/batch/infer/{model}', url: `/batch/infer/${MODEL}`, needs: 'annotator', body: brokenJson },
  { method: 'get', path: '/batch/infer', url: '/batch/infer', needs: 'user' },
  { method: 'delete', path: '/batch/infer', url: '/batch/infer', needs: 'admin' },
  { method: 'get', path: '/model/{model}', url: `/model/${MODEL}`, needs: 'admin' },
  { method: 'get', path: '/model/info/{model}', url: `/model/info/${MODEL}`, needs: 'admin' },
  { method: 'get', path: '/logs/', url: '/logs/', needs: 'admin' },
  { method: 'get', path: '/infer/jobs/', url: '/infer/jobs/', needs: 'user' },
  { method: 'get', path: '/infer/jobs/{id}', url: '/infer/jobs/no-such-job-1', needs: 'user' },
  { method: 'delete', path: '/infer/jobs/{id}', url: '/infer/jobs/no-such-job-1', needs: 'user' },
];

// ---------------------------------------------------------------------------------------------------------------
// Tokens

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const hs256 = (data: string, secret: string) => createHmac('sha256', secret).update(data).digest('base64url');
const claimsOf = (token: string): Record<string, unknown> => {
  const [, payload = ''] = token.split('.');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
};
const secret = Buffer.from(TEST_SECRET, 'utf8');
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** How a request authenticates; `server: 'restarted'` sends it to the server restarted without the four users. */
interface TokenKind {
  readonly name: string;
  /** The Authorization header (undefined: none) for a caller of `username`, whose valid token is `token`. */
  readonly header: (username: string, token: string) => string | undefined;
  /** null: the valid token itself; else the 401 detail the server must answer. */
  readonly refusal: null | 'Not authenticated' | 'Could not validate credentials';
  readonly server?: 'restarted' | 'default-header-limit';
}

const BAD = 'Could not validate credentials';
const MISSING = 'Not authenticated';

/** Kinds made per caller (each with that caller's user name and valid token). */
const PER_CALLER: readonly TokenKind[] = [
  { name: 'valid token', header: (_u, token) => `bearer ${token}`, refusal: null },
  { name: 'signed with another secret', header: (u) => `bearer ${signJwt({ sub: u }, Buffer.from('another secret, also forty characters....'), 3600)}`, refusal: BAD },
  { name: 'alg none, no signature', header: (u) => `bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: u, exp: nowSeconds() + 3600 })}.`, refusal: BAD },
  {
    name: 'alg HS512 header, HS256 signature',
    header: (u) => {
      const data = `${b64({ alg: 'HS512', typ: 'JWT' })}.${b64({ sub: u, iat: nowSeconds(), exp: nowSeconds() + 3600 })}`;
      return `bearer ${data}.${hs256(data, TEST_SECRET)}`;
    },
    refusal: BAD,
  },
  {
    name: 'alg RS256 header, HS256 signature',
    header: (u) => {
      const data = `${b64({ alg: 'RS256', typ: 'JWT' })}.${b64({ sub: u, iat: nowSeconds(), exp: nowSeconds() + 3600 })}`;
      return `bearer ${data}.${hs256(data, TEST_SECRET)}`;
    },
    refusal: BAD,
  },
  { name: 'expired', header: (u) => `bearer ${signJwt({ sub: u }, secret, 60, Date.now() - 2 * 3600 * 1000)}`, refusal: BAD },
  { name: 'not yet valid (nbf in an hour)', header: (u) => `bearer ${signJwt({ sub: u, nbf: nowSeconds() + 3600 }, secret, 7200)}`, refusal: BAD },
  {
    name: 'payload raised to admin, old signature',
    header: (_u, token) => {
      const [h, , s] = token.split('.');
      return `bearer ${h}.${b64({ ...claimsOf(token), sub: 'root', roles: ['admin'], realm_access: { roles: ['monailabel-admin'] } })}.${s}`;
    },
    refusal: BAD,
  },
  {
    name: 'malformed base64',
    header: (_u, token) => {
      const [h, p = '', s] = token.split('.');
      return `bearer ${h}.${p.slice(0, 10)}*%$${p.slice(10)}.${s}`;
    },
    refusal: BAD,
  },
  { name: 'scheme Basic with the valid token', header: (_u, token) => `Basic ${token}`, refusal: MISSING },
  { name: 'scheme Basic with user:password', header: (u) => `Basic ${Buffer.from(`${u}:${USERS.find((x) => x.username === u)?.password}`).toString('base64')}`, refusal: MISSING },
  { name: 'token of a user deleted from the users file (server restarted, same secret)', header: (_u, token) => `bearer ${token}`, refusal: BAD, server: 'restarted' },
];

/** Kinds that do not depend on the caller. */
const ANONYMOUS: readonly TokenKind[] = [
  { name: 'no Authorization header', header: () => undefined, refusal: MISSING },
  { name: 'empty bearer', header: () => 'Bearer ', refusal: MISSING },
  { name: 'bearer token of 64 KB', header: () => `Bearer ${'A'.repeat(64 * 1024)}`, refusal: BAD },
];

// ---------------------------------------------------------------------------------------------------------------
// Classification

/**
 * `pass`: must get through auth. `unauthenticated`: 401 with `WWW-Authenticate: Bearer` and that detail.
 * `forbidden`: the guard's 403 for `role`. `refusal`: another refusal (404 for a session, 429, a login's 401,
 * the save_label 403) with its status and detail.
 */
type Expected =
  | { readonly kind: 'pass' }
  | { readonly kind: 'unauthenticated'; readonly detail: string }
  | { readonly kind: 'forbidden'; readonly role: Role }
  | { readonly kind: 'refusal'; readonly status: number; readonly detail: string | RegExp };

const PASS: Expected = { kind: 'pass' };
const WRONG_PASSWORD: Expected = { kind: 'refusal', status: 401, detail: 'Incorrect username or password' };

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, string | string[] | undefined>;
}

const detailOf = (body: unknown): string | undefined => {
  const d = typeof body === 'object' && body !== null ? (body as { detail?: unknown }).detail : undefined;
  return typeof d === 'string' ? d : undefined;
};

/**
 * `accepted`: passed auth as it should (any status but 401/403/5xx). `refused`: exactly the expected refusal.
 * `escalation`: passed a check it should have failed (a bad token authenticated, a role it lacks admitted).
 * `unclear`: refused, but not as expected (wrong status, detail or missing `WWW-Authenticate`).
 */
function classify(expected: Expected, res: Answer): { outcome: CaseOutcome; why?: string } {
  const detail = detailOf(res.body);
  if (res.status >= 500) return { outcome: '5xx', why: detail };
  switch (expected.kind) {
    case 'pass':
      return res.status === 401 || res.status === 403 ? { outcome: 'unclear', why: `refused ${res.status}: ${detail}` } : { outcome: 'accepted' };
    case 'unauthenticated':
      if (res.status !== 401) return { outcome: 'escalation', why: `a bad or missing token got ${res.status}` };
      if (res.headers['www-authenticate'] !== 'Bearer') return { outcome: 'unclear', why: 'no WWW-Authenticate: Bearer' };
      return detail === expected.detail ? { outcome: 'refused' } : { outcome: 'unclear', why: `detail ${JSON.stringify(detail)}` };
    case 'forbidden':
      if (res.status === 401) return { outcome: 'unclear', why: 'a valid token answered 401' };
      if (res.status !== 403) return { outcome: 'escalation', why: `role ${expected.role} needed, got ${res.status}` };
      return detail === `Role "${expected.role}" is required to perform this action` ? { outcome: 'refused' } : { outcome: 'unclear', why: `detail ${JSON.stringify(detail)}` };
    case 'refusal': {
      if (res.status !== expected.status) return { outcome: res.status < 400 ? 'escalation' : 'unclear', why: `expected ${expected.status}, got ${res.status}: ${detail}` };
      const ok = typeof expected.detail === 'string' ? detail === expected.detail : detail !== undefined && expected.detail.test(detail);
      return ok ? { outcome: 'refused' } : { outcome: 'unclear', why: `detail ${JSON.stringify(detail)}` };
    }
  }
}

/** Records the case and returns a failure line, or null when it went as expected. */
function judge(name: string, expected: Expected, res: Answer, extra?: { escalated?: string }): string | null {
  let { outcome, why } = classify(expected, res);
  if (extra?.escalated) [outcome, why] = ['escalation', extra.escalated];
  recordCase({ area: AREA, name, outcome, status: res.status, detail: why ?? detailOf(res.body) });
  const wanted: CaseOutcome = expected.kind === 'pass' ? 'accepted' : 'refused';
  return outcome === wanted ? null : `${name}: ${outcome} (${res.status}${why ? `, ${why}` : ''})`;
}

// ---------------------------------------------------------------------------------------------------------------
// Servers

/** Listens on a free port; `maxHeaderSize` above Node's 16 KB default lets a 64 KB header reach the app. */
async function listen(app: http.RequestListener, maxHeaderSize?: number): Promise<http.Server> {
  const server = http.createServer(maxHeaderSize ? { maxHeaderSize } : {}, app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
const close = (server: http.Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('auth matrix', () => {
  let t: TestServer;
  let restarted: TestServer;
  let seg: GridCopySegmenter;
  let main: http.Server;
  let afterRestart: http.Server;
  let auth: Record<UserName, string>;
  /** The bare token of `user`'s `bearer <token>` header. */
  const tokenOf = (user: UserName): string => {
    const [scheme, token] = auth[user].split(' ');
    if (scheme !== 'bearer' || token === undefined) throw new Error(`${user}'s Authorization header is not "bearer <token>": ${auth[user]}`);
    return token;
  };

  beforeAll(async () => {
    seg = new GridCopySegmenter();
    t = await startTestServer({ segmenter: seg, server: { auth: await authConfigFor(USERS) } });
    // The same secret, but the users file now lists someone else only.
    restarted = await startTestServer({ segmenter: new GridCopySegmenter(), server: { auth: await authConfigFor([{ username: 'newcomer', password: 'n-pw', roles: ['admin'] }]) } });
    main = await listen(t.server, 128 * 1024);
    afterRestart = await listen(restarted.server, 128 * 1024);
    auth = await loginAll(main, USERS);
    await request(main).put('/datastore/?image=case001').set('Authorization', auth.anna).field('params', '{}').attach('file', await t.imageFile('case001.nii.gz')).expect(200);
  });
  afterAll(async () => {
    await close(main);
    await close(afterRestart);
    await t.close();
    await restarted.close();
  });

  const send = (server: http.Server, e: Endpoint, header: string | undefined): Promise<Answer> => {
    let r = request(server)[e.method](e.url);
    if (header !== undefined) r = r.set('Authorization', header);
    return (e.body ? e.body(r) : r).then((res) => ({ status: res.status, body: res.body, headers: res.headers }));
  };

  const expectationFor = (e: Endpoint, kind: TokenKind, roles: readonly Role[] | null): Expected => {
    if (e.needs === 'none') return PASS;
    if (kind.refusal !== null) return { kind: 'unauthenticated', detail: kind.refusal };
    if (e.needs === 'token' || satisfiesRole(roles ?? [], e.needs)) return PASS;
    return { kind: 'forbidden', role: e.needs };
  };

  describe.each(ENDPOINTS.map((e) => [`${e.method.toUpperCase()} ${e.path}`, e] as const))('%s', (label, e) => {
    test.each(ANONYMOUS.map((k) => [k.name, k] as const))('%s', async (_name, kind) => {
      const res = await send(main, e, kind.header('', ''));
      expect(judge(`${label} | anonymous | ${kind.name}`, expectationFor(e, kind, null), res)).toBeNull();
    });

    test.each(PER_CALLER.map((k) => [k.name, k] as const))('%s, for each role', async (_name, kind) => {
      const failures: string[] = [];
      for (const role of CALLER_ROLES) {
        const username = USER_OF[role];
        const res = await send(kind.server === 'restarted' ? afterRestart : main, e, kind.header(username, tokenOf(username)));
        const failure = judge(`${label} | ${role} | ${kind.name}`, expectationFor(e, kind, [role]), res);
        if (failure) failures.push(failure);
      }
      expect(failures).toEqual([]);
    });
  });

  test("a 64 KB header at Node's default 16 KB limit is cut off before the app (431)", async () => {
    const server = await listen(t.server);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const { port } = server.address() as AddressInfo;
        const req = http.request({ host: '127.0.0.1', port, path: '/info/', headers: { Authorization: `Bearer ${'A'.repeat(64 * 1024)}` } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
      const outcome: CaseOutcome = status === 431 ? 'refused' : status >= 500 ? '5xx' : status < 400 ? 'escalation' : 'unclear';
      recordCase({ area: AREA, name: 'GET /info/ | anonymous | 64 KB header at the default header limit', outcome, status, detail: 'Request Header Fields Too Large (Node HTTP parser, before any route)' });
      expect(status).toBe(431);
    } finally {
      await close(server);
    }
  });

  // -------------------------------------------------------------------------------------------------------------
  describe('session ownership', () => {
    const OPS = [
      { name: 'GET /session/{id}', call: (id: string) => request(main).get(`/session/${id}`), missing: (id: string) => `Session (${id}) Not Found` },
      { name: 'GET /session/{id}?image=true', call: (id: string) => request(main).get(`/session/${id}?image=true`), missing: (id: string) => `Session (${id}) Not Found` },
      { name: 'GET /session/{id}?update_ts=true', call: (id: string) => request(main).get(`/session/${id}?update_ts=true`), missing: (id: string) => `Session (${id}) Not Found` },
      { name: 'POST /infer/{model}?session_id', call: (id: string) => request(main).post(`/infer/${MODEL}?session_id=${id}&output=json`).field('params', '{}'), missing: (id: string) => `Session (${id}) Not Found` },
      { name: 'DELETE /session/{id}', call: (id: string) => request(main).delete(`/session/${id}`), missing: () => 'Session Not Found' },
    ] as const;
    const createAs = async (user: UserName) =>
      (await request(main).put('/session/').set('Authorization', auth[user]).attach('files', await t.imageFile('case001.nii.gz')).expect(200)).body.session_id as string;
    const asUser = (r: Req, user: UserName) => r.set('Authorization', auth[user]);

    test("ursula's session: uma (user), anna (annotator) and rita (reviewer) get 404 as for an unknown id", async () => {
      const id = await createAs('ursula');
      const failures: string[] = [];
      const runs = seg.requests.length;
      for (const other of ['uma', 'anna', 'rita'] as const) {
        for (const op of OPS) {
          const res = await asUser(op.call(id), other);
          const failure = judge(`session of a user | ${other} | ${op.name}`, { kind: 'refusal', status: 404, detail: op.missing(id) }, res, seg.requests.length > runs ? { escalated: 'the model ran on another user\'s session' } : undefined);
          if (failure) failures.push(failure);
        }
      }
      // Still there and unchanged for its owner.
      const own = await asUser(request(main).get(`/session/${id}`), 'ursula');
      const failure = judge('session of a user | ursula (owner) | GET /session/{id} after the others tried', PASS, own);
      if (failure) failures.push(failure);
      expect(own.status).toBe(200);
      expect(failures).toEqual([]);
    });

    test.each([
      { user: 'ursula', why: 'owner' },
      { user: 'root', why: 'admin' },
    ] as const)('$user ($why) may use every operation on it', async ({ user }) => {
      const id = await createAs('ursula');
      const failures: string[] = [];
      for (const op of OPS) {
        const res = await asUser(op.call(id), user);
        expect(res.status).toBe(200);
        const failure = judge(`session of a user | ${user} | ${op.name}`, PASS, res);
        if (failure) failures.push(failure);
      }
      expect(failures).toEqual([]);
    });
  });

  // -------------------------------------------------------------------------------------------------------------
  describe('write escalation probes: complete requests from callers without the right change nothing', () => {
    const labelFile = async () => {
      const file = `${t.root}/probe-label.nii.gz`;
      await writeVolumeFile(file, testLabel(testImage(), (i) => (i > 3 ? 1 : 0)));
      return file;
    };
    /** The header that the PER_CALLER kind `kindName` makes for `user`. */
    const forgedHeader = (kindName: string, user: UserName): string =>
      defined(defined(PER_CALLER.find((k) => k.name === kindName), `token kind "${kindName}"`).header(user, tokenOf(user)), `a "${kindName}" header`);
    const forged = () => ({
      'ursula token raised to admin': forgedHeader('payload raised to admin, old signature', 'ursula'),
      'alg none as root': forgedHeader('alg none, no signature', 'root'),
      'root signed with another secret': forgedHeader('signed with another secret', 'root'),
    });
    const finalLabel = async () => (await request(main).get('/datastore/label?label=case001&tag=final').set('Authorization', auth.root)).status;
    const imageIds = async () => Object.keys((await request(main).get('/datastore/?output=all').set('Authorization', auth.root).expect(200)).body.objects).sort();
    const trainStatus = async (path: string) => (await request(main).get(path).set('Authorization', auth.root)).status;

    test('PUT /datastore/label with a real label: refused for a user and for forged tokens; no label stored', async () => {
      const file = await labelFile();
      const callers: Array<[string, string, Expected]> = [
        ['ursula (user)', auth.ursula, { kind: 'forbidden', role: 'annotator' }],
        ...Object.entries(forged()).map(([n, h]): [string, string, Expected] => [n, h, { kind: 'unauthenticated', detail: BAD }]),
      ];
      const failures: string[] = [];
      for (const [name, header, expected] of callers) {
        const res = await request(main).put('/datastore/label?image=case001&tag=final').set('Authorization', header).field('params', '{}').attach('label', file);
        const stored = (await finalLabel()) !== 404;
        const failure = judge(`probe PUT /datastore/label (final) | ${name}`, expected, res, stored ? { escalated: 'a final label was stored' } : undefined);
        if (failure) failures.push(failure);
      }
      expect(failures).toEqual([]);
    });

    test('PUT /datastore/ with a real image: refused for a user and for forged tokens; no image added', async () => {
      const before = await imageIds();
      const file = await t.imageFile('evil.nii.gz');
      const failures: string[] = [];
      const callers: Array<[string, string, Expected]> = [
        ['ursula (user)', auth.ursula, { kind: 'forbidden', role: 'annotator' }],
        ...Object.entries(forged()).map(([n, h]): [string, string, Expected] => [n, h, { kind: 'unauthenticated', detail: BAD }]),
      ];
      for (const [name, header, expected] of callers) {
        const res = await request(main).put('/datastore/?image=evil').set('Authorization', header).field('params', '{}').attach('file', file);
        const changed = JSON.stringify(await imageIds()) !== JSON.stringify(before);
        const failure = judge(`probe PUT /datastore/ (image) | ${name}`, expected, res, changed ? { escalated: 'an image was added' } : undefined);
        if (failure) failures.push(failure);
      }
      expect(failures).toEqual([]);
    });

    test.each(['final', 'original'])('POST /infer with save_label, label_tag %s, as a user: 403 before the model runs, nothing stored', async (tag) => {
      const runs = seg.requests.length;
      const res = await request(main).post(`/infer/${MODEL}?image=case001&output=json`).set('Authorization', auth.ursula).field('params', JSON.stringify({ save_label: true, label_tag: tag }));
      const labelStatus = (await request(main).get(`/datastore/label?label=case001&tag=${tag}`).set('Authorization', auth.root)).status;
      const escalated = labelStatus !== 404 ? `a ${tag} label was stored` : seg.requests.length > runs ? 'the model ran' : undefined;
      expect(judge(`probe POST /infer save_label ${tag} | ursula (user)`, { kind: 'refusal', status: 403, detail: /^Role "annotator" is required to save a label/ }, res, escalated ? { escalated } : undefined)).toBeNull();
    });

    test.each([
      ['POST /train/{model}', 'post', `/train/${MODEL}`, ['anna', 'rita'], 'admin', '/train/'],
      ['POST /train/', 'post', '/train/', ['ursula', 'rita'], 'admin', '/train/'],
      ['POST /batch/infer/{model}', 'post', `/batch/infer/${MODEL}`, ['ursula', 'uma'], 'annotator', '/batch/infer'],
      ['POST /scoring/{method}', 'post', '/scoring/dice', ['ursula', 'uma'], 'annotator', '/scoring/'],
      ['POST /scoring/', 'post', '/scoring/', ['ursula'], 'annotator', '/scoring/'],
    ] as const)('%s with valid params: refused below %s; no task submitted', async (name, method, url, callers, role, statusPath) => {
      const failures: string[] = [];
      for (const user of callers) {
        const res = await request(main)[method](url).set('Authorization', auth[user]).send({ max_epochs: 1, client_id: 'probe' });
        const submitted = (await trainStatus(statusPath)) !== 404;
        const failure = judge(`probe ${name} | ${user}`, { kind: 'forbidden', role }, res, submitted ? { escalated: 'a task was submitted' } : undefined);
        if (failure) failures.push(failure);
      }
      expect(failures).toEqual([]);
    });
  });

  // -------------------------------------------------------------------------------------------------------------
  describe('login throttling (an injected clock)', () => {
    let th: TestServer;
    let clockMs = Date.UTC(2025, 0, 1);
    beforeAll(async () => {
      th = await startTestServer({ segmenter: new GridCopySegmenter(), server: { auth: await authConfigFor(USERS, { now: () => clockMs }) } });
    });
    afterAll(() => th.close());
    beforeEach(() => void (clockMs += 3600 * 1000));
    const login = (username: string, password: string) => request(th.server).post('/auth/token').type('form').send({ username, password, grant_type: 'password' });
    const LOCKED = /^Too many failed logins \(\d+ (for this user name|from this address) within 300 s\); try again in \d+ s$/;
    const judgeLocked = (name: string, res: request.Response, retryAfter: string) => {
      const failure = judge(name, { kind: 'refusal', status: 429, detail: LOCKED }, res);
      return failure ?? (res.headers['retry-after'] === retryAfter ? null : `${name}: Retry-After ${res.headers['retry-after']}, expected ${retryAfter}`);
    };

    test('5 wrong passwords are 401, then 429 with Retry-After (the right password too) until the window passes', async () => {
      const failures: string[] = [];
      for (let i = 1; i <= 5; i++) failures.push(judge(`throttle | root | wrong password ${i} of 5`, WRONG_PASSWORD, await login('root', `guess${i}`)) ?? '');
      clockMs += 60_000;
      failures.push(judgeLocked('throttle | root | 6th wrong password', await login('root', 'guess6'), '240') ?? '');
      failures.push(judgeLocked('throttle | root | right password while locked', await login('root', 'root-pw'), '240') ?? '');
      failures.push(judge('throttle | anna | another name from the same address meanwhile', PASS, await login('anna', 'anna-pw')) ?? '');
      clockMs += 240_000;
      const after = await login('root', 'root-pw');
      failures.push(judge('throttle | root | right password after the window', PASS, after) ?? '');
      expect(after.status).toBe(200);
      expect(failures.filter(Boolean)).toEqual([]);
    });

    test('30 concurrent wrong passwords: 5 are checked (401), 25 refused (429)', async () => {
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => login('rita', `guess${i}`)));
      const failures: string[] = [];
      const statuses = answers.map((r) => r.status);
      answers.forEach((res, i) => {
        const expected: Expected = res.status === 401 ? WRONG_PASSWORD : { kind: 'refusal', status: 429, detail: LOCKED };
        failures.push(judge(`throttle | rita | concurrent guess ${i + 1} of 30`, expected, res) ?? '');
      });
      expect(statuses.filter((s) => s === 401)).toHaveLength(5);
      expect(statuses.filter((s) => s === 429)).toHaveLength(25);
      expect(failures.filter(Boolean)).toEqual([]);
    });

    test('one address guessing 20 names is locked for every name', async () => {
      const failures: string[] = [];
      for (let i = 0; i < 20; i++) failures.push(judge(`throttle | address | name ${i + 1} of 20`, WRONG_PASSWORD, await login(`guess-name-${i}`, 'x')) ?? '');
      failures.push(judgeLocked('throttle | address | a 21st name', await login('uma', 'uma-pw'), '300') ?? '');
      expect(failures.filter(Boolean)).toEqual([]);
    });
  });
});
