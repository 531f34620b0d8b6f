import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import request from 'supertest';
import { loadAuthConfig } from '../../src/server/auth/authConfig';
import { DEFAULT_LOGIN_THROTTLE, LoginThrottle, LoginThrottledError } from '../../src/server/auth/loginThrottle';
import { authConfigFor, type TestUser } from './authTestUsers';
import { GridCopySegmenter } from './harness/gridCopySegmenter';
import { startTestServer, type TestServer } from './harness/testServer';

/** Every test here moves an injected clock; nothing sleeps. */
function clock(start = Date.UTC(2025, 0, 1)) {
  const c = { now: start, advance: (seconds: number) => void (c.now += seconds * 1000), read: () => c.now };
  return c;
}

const throttledFor = (fn: () => void): LoginThrottledError | null => {
  try {
    fn();
    return null;
  } catch (e) {
    if (e instanceof LoginThrottledError) return e;
    throw e;
  }
};

describe('LoginThrottle', () => {
  test('defaults: 5 failures per name, 20 per address, a 300 s window', () => {
    expect(DEFAULT_LOGIN_THROTTLE).toEqual({ maxFailuresPerUser: 5, maxFailuresPerAddress: 20, windowSeconds: 300, maxTrackedKeys: 10_000 });
  });

  test('the 5th failure locks the name for the window; then it may try again', () => {
    const c = clock();
    const throttle = new LoginThrottle({}, c.read);
    for (let i = 0; i < 5; i++) expect(throttledFor(() => throttle.begin('root', '10.0.0.1'))).toBeNull();
    c.advance(10);
    const locked = throttledFor(() => throttle.begin('root', '10.0.0.2'));
    expect(locked).toMatchObject({ code: 'LOGIN_THROTTLED', status: 429, retryAfterSeconds: 290 });
    expect(locked?.detail).toBe('Too many failed logins (5 for this user name within 300 s); try again in 290 s');
    // Another name from the same address is not locked by it.
    expect(throttledFor(() => throttle.begin('anna', '10.0.0.1'))).toBeNull();
    c.advance(289);
    expect(throttledFor(() => throttle.begin('root', '10.0.0.3'))?.retryAfterSeconds).toBe(1);
    c.advance(1);
    expect(throttledFor(() => throttle.begin('root', '10.0.0.3'))).toBeNull();
  });

  test('a success forgets the name\'s failures', () => {
    const throttle = new LoginThrottle({}, clock().read);
    for (let i = 0; i < 4; i++) throttle.begin('root', 'a');
    throttle.begin('root', 'a');
    throttle.succeeded('root', 'a');
    for (let i = 0; i < 4; i++) expect(throttledFor(() => throttle.begin('root', 'a'))).toBeNull();
    expect(throttledFor(() => throttle.begin('root', 'a'))).toBeNull();
    expect(throttledFor(() => throttle.begin('root', 'a'))).not.toBeNull();
  });

  test('failures older than the window do not add up', () => {
    const c = clock();
    const throttle = new LoginThrottle({}, c.read);
    for (let i = 0; i < 4; i++) throttle.begin('root', 'a');
    c.advance(300);
    for (let i = 0; i < 4; i++) throttle.begin('root', 'a');
    expect(throttledFor(() => throttle.begin('root', 'a'))).toBeNull();
  });

  test('one address guessing many names is locked after 20 failures, other addresses are not', () => {
    const throttle = new LoginThrottle({}, clock().read);
    for (let i = 0; i < 20; i++) throttle.begin(`name${i}`, '192.0.2.7');
    const locked = throttledFor(() => throttle.begin('fresh-name', '192.0.2.7'));
    expect(locked?.detail).toBe('Too many failed logins (20 from this address within 300 s); try again in 300 s');
    expect(throttledFor(() => throttle.begin('fresh-name', '192.0.2.8'))).toBeNull();
  });

  test('memory is bounded: at most maxTrackedKeys names and addresses, the oldest forgotten', () => {
    const throttle = new LoginThrottle({ maxTrackedKeys: 100 }, clock().read);
    const long = 'x'.repeat(60_000);
    for (let i = 0; i < 5_000; i++) throttle.begin(`${long}${i}`, `addr${i}`);
    expect(throttle.trackedKeys).toEqual({ users: 100, addresses: 100 });
    // The newest are still tracked, the first ones are gone.
    for (let i = 0; i < 4; i++) throttle.begin(`${long}4999`, 'other');
    expect(throttledFor(() => throttle.begin(`${long}4999`, 'other'))).not.toBeNull();
    // Evicted, so it starts from 0: five more failures pass (a remembered one would make the 5th throw).
    for (let i = 0; i < 5; i++) throttle.begin(`${long}0`, 'third');
    expect(throttledFor(() => throttle.begin(`${long}0`, 'third'))).not.toBeNull();
  });

  test.each([
    [{ maxFailuresPerUser: 0 }, /maxFailuresPerUser/],
    [{ windowSeconds: 1.5 }, /windowSeconds/],
    [{ maxTrackedKeys: -1 }, /maxTrackedKeys/],
  ])('refuses the option %j', (options, message) => {
    expect(() => new LoginThrottle(options)).toThrow(message);
  });
});

describe('the users file sets the throttle', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-throttle-cfg-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const load = (value: unknown) => {
    const file = path.join(dir, 'users.json');
    fs.writeFileSync(file, JSON.stringify({ users: [], login_throttle: value }));
    return () => loadAuthConfig(file, {});
  };

  test('login_throttle fields map to the options', () => {
    expect(load({ max_failures_per_user: 3, max_failures_per_address: 50, window_seconds: 60 })().loginThrottle).toEqual({ maxFailuresPerUser: 3, maxFailuresPerAddress: 50, windowSeconds: 60 });
  });

  test.each([
    ['not an object', 5, /"login_throttle" must be an object/],
    ['an unknown field', { max_failures: 3 }, /unknown field "max_failures"/],
    ['zero', { window_seconds: 0 }, /"login_throttle.window_seconds" must be an integer >= 1/],
    ['a string', { max_failures_per_user: '5' }, /"login_throttle.max_failures_per_user" must be an integer >= 1/],
  ])('refuses %s', (_what, value, message) => {
    expect(load(value)).toThrow(message);
  });
});

describe('POST /auth/token throttling', () => {
  const USERS: readonly TestUser[] = [
    { username: 'root', password: 'root-pw', roles: ['admin'] },
    { username: 'anna', password: 'anna-pw', roles: ['annotator'] },
  ];
  let t: TestServer;
  const c = clock();
  beforeAll(async () => {
    t = await startTestServer({ segmenter: new GridCopySegmenter(), server: { auth: await authConfigFor(USERS, { now: c.read }) } });
  });
  afterAll(() => t.close());
  // Each test starts after every earlier lock has run out.
  beforeEach(() => c.advance(3600));
  const login = (username: string, password: string) => request(t.server).post('/auth/token').type('form').send({ username, password, grant_type: 'password' });

  test('5 wrong passwords answer 401, then 429 with Retry-After, even for the right password, until the window passes', async () => {
    for (let i = 0; i < 5; i++) expect((await login('root', `guess${i}`)).status).toBe(401);
    c.advance(100);
    for (const password of ['guess5', 'root-pw']) {
      const res = await login('root', password);
      expect([res.status, res.headers['retry-after'], res.body]).toEqual([429, '200', { detail: 'Too many failed logins (5 for this user name within 300 s); try again in 200 s' }]);
    }
    // The lock is the name's: anna logs in from the same address.
    expect((await login('anna', 'anna-pw')).status).toBe(200);
    c.advance(200);
    expect((await login('root', 'root-pw')).status).toBe(200);
  });

  test('30 concurrent guesses: only 5 reach the password check, 25 are refused with 429', async () => {
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => login('anna', `guess${i}`)));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25);
  });

  test("a success resets the name's count", async () => {
    for (let i = 0; i < 4; i++) expect((await login('root', 'wrong')).status).toBe(401);
    expect((await login('root', 'root-pw')).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await login('root', 'wrong')).status).toBe(401);
    expect((await login('root', 'root-pw')).status).toBe(200);
  });

  test('unknown names are throttled alike (no hint which names exist); a form without a password is not a failed login', async () => {
    for (let i = 0; i < 8; i++) expect((await request(t.server).post('/auth/token').type('form').send({ username: 'ghost' })).status).toBe(400);
    for (let i = 0; i < 5; i++) expect((await login('ghost', 'x')).status).toBe(401);
    expect((await login('ghost', 'x')).status).toBe(429);
  });
});
