/** The server's REST API as the page uses it: the same endpoints, tokens and roles as Slicer's. */

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    detail: string,
  ) {
    super(detail);
    this.name = 'ApiFailure';
  }
}

export interface UiConfig {
  readonly auth: boolean;
  readonly dicom: boolean;
  readonly app: string;
  readonly version: string;
  /** Label value -> name and display colour, the server's one table. */
  readonly labels: Readonly<Record<string, { readonly name: string; readonly color: readonly [number, number, number] }>>;
}

export interface UserInfo {
  readonly username: string;
  readonly roles: readonly string[];
}

const TOKEN_KEY = 'wbct.token';

export class Api {
  private token: string | null = sessionStorage.getItem(TOKEN_KEY);

  get authHeaders(): Record<string, string> {
    return this.token ? { Authorization: `Bearer ${this.token}` } : {};
  }

  get loggedIn(): boolean {
    return this.token !== null;
  }

  async login(username: string, password: string): Promise<void> {
    const body = new URLSearchParams({ username, password });
    const answer = await this.request<{ access_token: string }>('POST', '/auth/token', { body });
    this.token = answer.access_token;
    sessionStorage.setItem(TOKEN_KEY, this.token);
  }

  logout(): void {
    this.token = null;
    sessionStorage.removeItem(TOKEN_KEY);
  }

  /** A JSON answer; a non-2xx answer throws its `detail`. */
  async request<T>(method: string, path: string, init: { body?: BodyInit; signal?: AbortSignal } = {}): Promise<T> {
    const res = await this.fetch(method, path, init);
    return (await res.json()) as T;
  }

  async fetch(method: string, path: string, init: { body?: BodyInit; signal?: AbortSignal } = {}): Promise<Response> {
    const res = await fetch(path, { method, headers: this.authHeaders, body: init.body, signal: init.signal, cache: 'no-store' });
    if (!res.ok) throw new ApiFailure(res.status, await detailOf(res));
    return res;
  }
}

async function detailOf(res: Response): Promise<string> {
  const text = await res.text();
  try {
    const parsed = JSON.parse(text) as { detail?: unknown };
    if (typeof parsed.detail === 'string') return parsed.detail;
  } catch {
    // not JSON: the text itself
  }
  return `${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`;
}
