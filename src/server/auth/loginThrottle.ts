import { createHash } from 'node:crypto';
import { ApiError } from '../../core/errors';

export interface LoginThrottleOptions {
  /** Failed logins for one user name within the window that lock that name (default 5). */
  readonly maxFailuresPerUser: number;
  /**
   * Failed logins from one client address within the window that lock that address (default 20: one address can
   * be a shared workstation or a reverse proxy in front of many users).
   */
  readonly maxFailuresPerAddress: number;
  /** Seconds: the window failures are counted in, and how long a lock lasts (default 300). */
  readonly windowSeconds: number;
  /** Most user names and most addresses tracked (default 10,000 each); beyond it the oldest are forgotten. */
  readonly maxTrackedKeys: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = { maxFailuresPerUser: 5, maxFailuresPerAddress: 20, windowSeconds: 300, maxTrackedKeys: 10_000 };

/** 429 `LOGIN_THROTTLED`; the route sends `retryAfterSeconds` as `Retry-After`. */
export class LoginThrottledError extends ApiError {
  constructor(
    readonly retryAfterSeconds: number,
    detail: string,
  ) {
    super('LOGIN_THROTTLED', detail);
  }
}

interface Entry {
  failures: number;
  windowStart: number;
  /** 0 while not locked. */
  lockedUntil: number;
}

/** Failures per key in a window that starts at the key's first failure; `max` failures lock the key for a window. */
class FailureCounter {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly cap: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Milliseconds until `key` may try again; 0 when it may now. */
  lockedFor(key: string, now: number): number {
    const entry = this.live(key, now);
    return entry && entry.lockedUntil > now ? entry.lockedUntil - now : 0;
  }

  charge(key: string, now: number): void {
    const entry = this.live(key, now) ?? { failures: 0, windowStart: now, lockedUntil: 0 };
    entry.failures++;
    if (entry.failures >= this.max) entry.lockedUntil = now + this.windowMs;
    // Re-inserted so that the Map's order is oldest-touched first, which is what eviction drops.
    this.entries.delete(key);
    this.entries.set(key, entry);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.cap) break;
      this.entries.delete(oldest);
    }
  }

  /** Takes back one charge (an attempt that turned out to succeed). */
  refund(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    entry.failures--;
    if (entry.failures < this.max) entry.lockedUntil = 0;
    if (entry.failures <= 0) this.entries.delete(key);
  }

  reset(key: string): void {
    this.entries.delete(key);
  }

  private live(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    const over = entry.lockedUntil > 0 ? entry.lockedUntil <= now : now - entry.windowStart >= this.windowMs;
    if (over) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }
}

/** Keys are hashed so that a tracked key costs the same few bytes whatever the client sent as a user name. */
const keyOf = (value: string): string => createHash('sha256').update(value, 'utf8').digest('base64');

function positiveInt(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`login throttle: ${name} must be an integer >= 1, got ${value}`);
  return value;
}

/**
 * Throttling of failed logins at `POST /auth/token`, per user name and per client address. An attempt is charged
 * as a failure before the password is checked and refunded when it succeeds, so that concurrent guesses cannot all
 * slip past the check while the (slow, scrypt) verifications are still running.
 */
export class LoginThrottle {
  readonly options: LoginThrottleOptions;
  private readonly users: FailureCounter;
  private readonly addresses: FailureCounter;

  constructor(
    options: Partial<LoginThrottleOptions> = {},
    private readonly now: () => number = Date.now,
  ) {
    const o = { ...DEFAULT_LOGIN_THROTTLE, ...options };
    this.options = {
      maxFailuresPerUser: positiveInt('maxFailuresPerUser', o.maxFailuresPerUser),
      maxFailuresPerAddress: positiveInt('maxFailuresPerAddress', o.maxFailuresPerAddress),
      windowSeconds: positiveInt('windowSeconds', o.windowSeconds),
      maxTrackedKeys: positiveInt('maxTrackedKeys', o.maxTrackedKeys),
    };
    const windowMs = this.options.windowSeconds * 1000;
    this.users = new FailureCounter(this.options.maxFailuresPerUser, windowMs, this.options.maxTrackedKeys);
    this.addresses = new FailureCounter(this.options.maxFailuresPerAddress, windowMs, this.options.maxTrackedKeys);
  }

  /** How many user names and addresses are tracked now (bounded by `maxTrackedKeys` each). */
  get trackedKeys(): { users: number; addresses: number } {
    return { users: this.users.size, addresses: this.addresses.size };
  }

  /** Throws `LoginThrottledError` while the name or the address is locked; otherwise charges the attempt. */
  begin(username: string, address: string): void {
    const now = this.now();
    const user = keyOf(username);
    const addr = keyOf(address);
    const forUser = this.users.lockedFor(user, now);
    const forAddress = this.addresses.lockedFor(addr, now);
    if (forUser > 0 || forAddress > 0) {
      const seconds = Math.max(1, Math.ceil(Math.max(forUser, forAddress) / 1000));
      const { maxFailuresPerUser, maxFailuresPerAddress, windowSeconds } = this.options;
      const what = forUser > 0 ? `${maxFailuresPerUser} for this user name` : `${maxFailuresPerAddress} from this address`;
      throw new LoginThrottledError(seconds, `Too many failed logins (${what} within ${windowSeconds} s); try again in ${seconds} s`);
    }
    this.users.charge(user, now);
    this.addresses.charge(addr, now);
  }

  /** The attempt `begin` charged succeeded: the user's failures are forgotten, the address gets its charge back. */
  succeeded(username: string, address: string): void {
    this.users.reset(keyOf(username));
    this.addresses.refund(keyOf(address));
  }
}
