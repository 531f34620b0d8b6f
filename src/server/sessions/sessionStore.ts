import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { StagedUpload } from '../../util/stagedUpload';
import { writeFileAtomic } from '../../util/atomicWrite';
import { IMAGE_EXTENSIONS, fileStemForId, isPlainFileName, splitFileName } from '../../core/fileNames';
import { satisfiesRole, type AuthUser } from '../auth/roles';
import { ApiError } from '../../core/errors';
import { isJsonObject, type JsonObject } from '../../core/json';
import type { IncomingFile } from '../../core/datastore';
import type { VolumeReader } from '../../core/volumeReader';

/**
 * MONAI Label's `session_info` as clients see it. MONAI puts absolute server paths in `path` and `image`; neither
 * client reads them (spec sections 1 rows 16-18, 7 and 9: Slicer reads only `session_id` from `PUT /session/` and
 * whether `GET /session/{id}` succeeds; `client.py` hands the dict back unread), and the image itself is fetched
 * with `GET /session/{id}?image=true`. So both keep their place and meaning, the session folder and the image in
 * it, but as names relative to the server's sessions folder (`<id>`, `<id>/<file>`), not the server's disk layout.
 */
export interface SessionInfo {
  name: string;
  path: string;
  image: string;
  meta: JsonObject;
  create_ts: number;
  last_access_ts: number;
  expiry: number;
}

/** A live session as the server uses it: absolute paths, and the user who created it. */
export interface Session {
  /** The session id. */
  readonly name: string;
  /** The session folder (absolute). */
  readonly path: string;
  /** The session's (first) image (absolute); what infer with `?session_id=` segments. */
  readonly image: string;
  /** The user name of its creator; null for a session written by a server that did not record one (admin only). */
  readonly owner: string | null;
  readonly meta: JsonObject;
  readonly create_ts: number;
  readonly last_access_ts: number;
  readonly expiry: number;
}

export interface SessionStoreOptions {
  readonly dir: string;
  readonly readVolume: VolumeReader;
  /** Seconds a session lives after its last access (MONAI's default 3600). */
  readonly defaultExpiry?: number;
  /** Milliseconds since the epoch (default `Date.now`; tests inject one). */
  readonly now?: () => number;
}

/** The session's `.session.json`: no absolute paths, so a moved work folder keeps its sessions. */
interface StoredSession {
  readonly owner: string | null;
  /** File name of the image inside the session folder. */
  readonly image: string;
  readonly meta: JsonObject;
  readonly create_ts: number;
  readonly last_access_ts: number;
  readonly expiry: number;
}

const INFO_FILE = '.session.json';
const SESSION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const isSeconds = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;

/**
 * The image's file name in `folder`: a plain name with an image extension. Servers before this format stored the
 * absolute path, which is accepted when it points into the folder. Anything else (another folder, `..`, the info
 * file itself) is refused, so a hand-edited file cannot make `?image=true` serve an arbitrary file.
 */
function imageFileOf(image: string, folder: string): string | null {
  const name = path.isAbsolute(image) && path.dirname(image) === folder ? path.basename(image) : image;
  return isPlainFileName(name) && splitFileName(name, IMAGE_EXTENSIONS) !== null ? name : null;
}

/** A `.session.json` checked field by field; null when it is not one this server could have written. */
function storedSessionOf(raw: unknown, folder: string): StoredSession | null {
  if (!isJsonObject(raw)) return null;
  const { owner, image, meta, create_ts, last_access_ts, expiry } = raw;
  const file = typeof image === 'string' ? imageFileOf(image, folder) : null;
  if (file === null) return null;
  if (owner !== undefined && (typeof owner !== 'string' || owner === '')) return null;
  if (meta !== undefined && !isJsonObject(meta)) return null;
  if (!isSeconds(create_ts) || !isSeconds(last_access_ts) || !isSeconds(expiry) || expiry === 0) return null;
  return { owner: owner ?? null, image: file, meta: meta ?? {}, create_ts, last_access_ts, expiry };
}

/** What `PUT/GET/DELETE /session/` answer: relative names instead of the server's paths (see `SessionInfo`). */
export function sessionInfoOf(session: Session): SessionInfo {
  const { name, meta, create_ts, last_access_ts, expiry } = session;
  return { name, path: name, image: `${name}/${path.basename(session.image)}`, meta, create_ts, last_access_ts, expiry };
}

/** Whether `user` may see and use `session`: its creator, or an admin (everyone, with auth off). */
function mayAccess(session: Session, user: AuthUser): boolean {
  return satisfiesRole(user.roles, 'admin') || (session.owner !== null && session.owner === user.username);
}

/**
 * Short-lived uploads (`PUT /session/`): one folder per session, expired ones removed when touched or swept. Each
 * session belongs to the user who created it; to anyone else but an admin it does not exist (404, not 403, so that
 * ids of other users' sessions cannot be probed).
 */
export class SessionStore {
  readonly defaultExpiry: number;
  private readonly nowSeconds: () => number;

  constructor(private readonly options: SessionStoreOptions) {
    this.defaultExpiry = options.defaultExpiry ?? 3600;
    const now = options.now ?? Date.now;
    this.nowSeconds = () => Math.floor(now() / 1000);
  }

  async create(files: readonly IncomingFile[], expiry: number, owner: AuthUser): Promise<Session> {
    if (files.length === 0) throw new ApiError('MISSING_FILE', 'multipart file part "files" is required');
    const id = randomUUID();
    const folder = path.join(this.options.dir, id);
    await fs.mkdir(folder, { recursive: true });
    try {
      const images: string[] = [];
      for (const file of files) images.push(await this.storeImage(file, folder));
      const [image] = images;
      if (image === undefined) throw new ApiError('MISSING_FILE', 'multipart file part "files" is required');
      const ts = this.nowSeconds();
      const stored: StoredSession = { owner: owner.username, image, meta: {}, create_ts: ts, last_access_ts: ts, expiry };
      await this.write(folder, stored);
      return this.sessionOf(id, folder, stored);
    } catch (e) {
      await fs.rm(folder, { recursive: true, force: true });
      throw e;
    }
  }

  /**
   * The live session `user` may access, optionally with its access time refreshed; expired sessions are removed,
   * and they, unreadable ones and other users' all answer 404.
   */
  async get(id: string, touch: boolean, user: AuthUser): Promise<Session> {
    const notFound = () => new ApiError('SESSION_NOT_FOUND', `Session (${id}) Not Found`);
    const found = await this.read(id);
    if (!found) throw notFound();
    if (this.expired(found.stored)) {
      await fs.rm(found.folder, { recursive: true, force: true });
      throw notFound();
    }
    const session = this.sessionOf(id, found.folder, found.stored);
    if (!mayAccess(session, user)) throw notFound();
    if (!touch) return session;
    const touched: StoredSession = { ...found.stored, last_access_ts: this.nowSeconds() };
    await this.write(found.folder, touched);
    return this.sessionOf(id, found.folder, touched);
  }

  async remove(id: string, user: AuthUser): Promise<Session> {
    const notFound = () => new ApiError('SESSION_NOT_FOUND', 'Session Not Found');
    const found = await this.read(id);
    if (!found) throw notFound();
    const session = this.sessionOf(id, found.folder, found.stored);
    if (!mayAccess(session, user)) throw notFound();
    await fs.rm(found.folder, { recursive: true, force: true });
    return session;
  }

  /** Removes every expired session; returns how many. */
  async sweep(): Promise<number> {
    const entries = await fs.readdir(this.options.dir).catch(() => [] as string[]);
    let removed = 0;
    for (const id of entries) {
      const found = await this.read(id);
      if (found && this.expired(found.stored)) {
        await fs.rm(found.folder, { recursive: true, force: true });
        removed++;
      }
    }
    return removed;
  }

  private expired(stored: StoredSession): boolean {
    return stored.last_access_ts + stored.expiry < this.nowSeconds();
  }

  private sessionOf(id: string, folder: string, stored: StoredSession): Session {
    const { owner, meta, create_ts, last_access_ts, expiry } = stored;
    return { name: id, path: folder, image: path.join(folder, stored.image), owner, meta, create_ts, last_access_ts, expiry };
  }

  private write(folder: string, stored: StoredSession): Promise<void> {
    return writeFileAtomic(path.join(folder, INFO_FILE), JSON.stringify(stored));
  }

  private async storeImage(file: IncomingFile, folder: string): Promise<string> {
    const split = splitFileName(file.fileName || 'image.nii.gz', IMAGE_EXTENSIONS);
    if (!split) throw new ApiError('NOT_AN_IMAGE', `session file "${file.fileName}" has an unsupported extension; expected one of ${IMAGE_EXTENSIONS.join(', ')}`);
    const name = `${fileStemForId(split.stem)}${split.ext}`;
    const staged = await StagedUpload.stage(file, folder, split.ext);
    try {
      await staged.read(this.options.readVolume);
      await staged.commit(path.join(folder, name));
    } finally {
      await staged.discard();
    }
    return name;
  }

  /** The session's folder and checked info; null for a malformed id, a missing or unreadable info file, or a missing image. */
  private async read(id: string): Promise<{ folder: string; stored: StoredSession } | null> {
    if (!SESSION_ID.test(id)) return null;
    const folder = path.join(this.options.dir, id);
    let raw: unknown;
    try {
      raw = JSON.parse(await fs.readFile(path.join(folder, INFO_FILE), 'utf8'));
    } catch {
      return null;
    }
    const stored = storedSessionOf(raw, folder);
    if (!stored) return null;
    const image = await fs.stat(path.join(folder, stored.image)).catch(() => null);
    return image?.isFile() ? { folder, stored } : null;
  }
}
