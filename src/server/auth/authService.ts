import { ApiError } from '../../core/errors';
import { signJwt, verifyJwt } from './jwt';
import { LoginThrottle } from './loginThrottle';
import { verifyPassword } from './passwords';
import { ANONYMOUS_ADMIN, satisfiesRole, type AuthUser, type Role } from './roles';
import type { AuthConfig } from './authConfig';

/** Authentication and role checks; with no config auth is off and everyone is `admin`. */
export class AuthService {
  private readonly now: () => number;
  /** null when auth is off. */
  private readonly loginThrottle: LoginThrottle | null;

  constructor(private readonly config: AuthConfig | null) {
    this.now = config?.now ?? Date.now;
    this.loginThrottle = config ? new LoginThrottle(config.loginThrottle, this.now) : null;
  }

  get enabled(): boolean {
    return this.config !== null;
  }

  get realm(): string {
    return this.config?.realm ?? '';
  }

  /**
   * `POST /auth/token`: a signed token for a known user with the right password. Failed attempts are throttled per
   * user name and per `clientAddress` (`LoginThrottledError`, 429), checked before the password is.
   */
  async issueToken(username: string, password: string, clientAddress = ''): Promise<string> {
    const config = this.requireConfig();
    const throttle = this.loginThrottle;
    if (!throttle) throw new ApiError('NOT_FOUND', 'Not Found');
    throttle.begin(username, clientAddress);
    const user = config.users.get(username);
    // Verify against a dummy hash for unknown users too, so timing does not reveal which names exist.
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) throw new ApiError('BAD_CREDENTIALS', 'Incorrect username or password');
    throttle.succeeded(username, clientAddress);
    return signJwt({ sub: user.username }, config.secret, config.tokenLifetimeSeconds, this.now());
  }

  /** The user behind an `Authorization` header (`bearer <jwt>`, any case), or 401. */
  authenticate(header: string | undefined): AuthUser {
    const config = this.config;
    if (!config) return ANONYMOUS_ADMIN;
    const token = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1];
    if (token === undefined) throw new ApiError('NOT_AUTHENTICATED', 'Not authenticated');
    const claims = verifyJwt(token, config.secret, this.now());
    const user = claims && typeof claims.sub === 'string' ? config.users.get(claims.sub) : undefined;
    if (!user) throw new ApiError('INVALID_TOKEN', 'Could not validate credentials');
    return { username: user.username, email: user.email, name: user.name, roles: user.roles };
  }

  authorize(header: string | undefined, role: Role): AuthUser {
    const user = this.authenticate(header);
    if (!satisfiesRole(user.roles, role)) throw new ApiError('FORBIDDEN_ROLE', `Role "${role}" is required to perform this action`);
    return user;
  }

  private requireConfig(): AuthConfig {
    if (!this.config) throw new ApiError('NOT_FOUND', 'Not Found');
    return this.config;
  }
}

/** scrypt of a random password; only ever compared against, never matched. */
const DUMMY_HASH = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$9qz0yQ2E1y3Tg0m3w6c3hVq0bqk3s0b8m9xJc2mW8pE=';
