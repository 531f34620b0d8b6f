import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadAuthConfig } from '../../src/server/auth/authConfig';
import { AuthService } from '../../src/server/auth/authService';
import { signJwt, verifyJwt } from '../../src/server/auth/jwt';
import { hashPassword, verifyPassword } from '../../src/server/auth/passwords';
import { satisfiesRole } from '../../src/server/auth/roles';

const SECRET = Buffer.from('0123456789abcdef0123456789abcdef');

describe('passwords (scrypt)', () => {
  test('a hash verifies its password only, and never contains it', async () => {
    const hash = await hashPassword('s3cret pw');
    expect(hash).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(hash).not.toContain('s3cret');
    await expect(verifyPassword('s3cret pw', hash)).resolves.toBe(true);
    await expect(verifyPassword('s3cret pX', hash)).resolves.toBe(false);
    expect(await hashPassword('s3cret pw')).not.toBe(hash);
  });
});

describe('JWT (HS256)', () => {
  test('round trip, tamper, wrong key, expiry and alg:none are all checked', () => {
    const now = Date.UTC(2025, 0, 1);
    const token = signJwt({ sub: 'alice' }, SECRET, 3600, now);
    expect(verifyJwt(token, SECRET, now + 1000)).toMatchObject({ sub: 'alice', exp: now / 1000 + 3600 });
    expect(verifyJwt(token, SECRET, now + 3601 * 1000)).toBeNull();
    expect(verifyJwt(token, Buffer.from('another key another key another k'), now)).toBeNull();
    const [h, , s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'admin', exp: now / 1000 + 3600 })).toString('base64url');
    expect(verifyJwt(`${h}.${forged}.${s}`, SECRET, now)).toBeNull();
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    expect(verifyJwt(`${none}.${forged}.`, SECRET, now)).toBeNull();
    expect(verifyJwt('garbage', SECRET, now)).toBeNull();
  });

  test('nbf: a token is not valid before it, and a non-numeric nbf is refused', () => {
    const now = Date.UTC(2025, 0, 1);
    const early = signJwt({ sub: 'alice', nbf: now / 1000 + 60 }, SECRET, 3600, now);
    expect(verifyJwt(early, SECRET, now)).toBeNull();
    expect(verifyJwt(early, SECRET, now + 60_000)).toMatchObject({ sub: 'alice' });
    expect(verifyJwt(signJwt({ sub: 'alice', nbf: 'soon' }, SECRET, 3600, now), SECRET, now)).toBeNull();
  });
});

describe('roles', () => {
  test.each([
    [['admin'], 'admin', true],
    [['admin'], 'user', true],
    [['annotator'], 'user', true],
    [['annotator'], 'annotator', true],
    [['annotator'], 'admin', false],
    [['user'], 'annotator', false],
    [['reviewer'], 'annotator', true],
    [['reviewer'], 'admin', false],
  ] as const)('%j satisfies %s: %s', (held, needed, ok) => {
    expect(satisfiesRole(held, needed)).toBe(ok);
  });
});

describe('auth config and service', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wbct-auth-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (name: string, value: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, JSON.stringify(value));
    return file;
  };

  test('loads users and issues/validates tokens', async () => {
    const file = write('users.json', { secret: SECRET.toString(), users: [{ username: 'ann', password: await hashPassword('pw'), roles: ['annotator'], email: 'a@x' }] });
    const auth = new AuthService(loadAuthConfig(file, {}));
    const token = await auth.issueToken('ann', 'pw');
    expect(auth.authenticate(`bearer ${token}`)).toEqual({ username: 'ann', email: 'a@x', name: 'ann', roles: ['annotator'] });
    expect(auth.authenticate(`Bearer ${token}`).username).toBe('ann');
    await expect(auth.issueToken('ann', 'wrong')).rejects.toMatchObject({ status: 401 });
    await expect(auth.issueToken('nobody', 'pw')).rejects.toMatchObject({ status: 401 });
    expect(() => auth.authenticate(undefined)).toThrow(expect.objectContaining({ code: 'NOT_AUTHENTICATED', detail: 'Not authenticated' }));
    expect(() => auth.authenticate('bearer abc.def.ghi')).toThrow(expect.objectContaining({ code: 'INVALID_TOKEN', detail: 'Could not validate credentials' }));
    expect(() => auth.authorize(`bearer ${token}`, 'admin')).toThrow(expect.objectContaining({ status: 403, detail: 'Role "admin" is required to perform this action' }));
  });

  test("tokens are issued and checked on the config's clock", async () => {
    let now = Date.UTC(2025, 0, 1);
    const file = write('clock.json', { secret: SECRET.toString(), token_lifetime_seconds: 60, users: [{ username: 'ann', password: await hashPassword('pw'), roles: ['annotator'] }] });
    const auth = new AuthService({ ...loadAuthConfig(file, {}), now: () => now });
    const token = await auth.issueToken('ann', 'pw');
    now += 59_000;
    expect(auth.authenticate(`bearer ${token}`).username).toBe('ann');
    now += 1_000;
    expect(() => auth.authenticate(`bearer ${token}`)).toThrow(expect.objectContaining({ code: 'INVALID_TOKEN' }));
  });

  test.each([
    ['not JSON', 'x{', /cannot read it as JSON/],
    ['no users', {}, /"users" list/],
    ['plain password', { users: [{ username: 'a', password: 'pw', roles: ['user'] }] }, /scrypt\$N\$r\$p/],
    ['bad role', { users: [{ username: 'a', password: 'scrypt$16384$8$1$AA==$AA==', roles: ['boss'] }] }, /roles/],
    ['short secret', { secret: 'short', users: [] }, /at least 32/],
  ])('rejects a config with %s, naming the file', (_what, content, message) => {
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    expect(() => loadAuthConfig(file, {})).toThrow(message);
    expect(() => loadAuthConfig(file, {})).toThrow(file);
  });
});
